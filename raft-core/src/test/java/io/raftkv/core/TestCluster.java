package io.raftkv.core;

import io.raftkv.core.log.MemoryLogStorage;
import io.raftkv.core.message.RaftMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * A synchronous driver for core tests that need more than a healthy cluster: every Ready is persisted at once
 * and messages are delivered in FIFO order, but nodes can be added (starting empty), cut off, restarted from
 * their disk, and individual messages dropped by a filter.
 */
final class TestCluster {

    final Map<NodeId, RaftNode> nodes = new LinkedHashMap<>();
    final Map<NodeId, MemoryLogStorage> disks = new LinkedHashMap<>();
    final Map<NodeId, List<Entry>> applied = new LinkedHashMap<>();
    final Map<NodeId, List<ReadState>> reads = new LinkedHashMap<>();
    final Map<NodeId, List<ForwardOutcome>> forwards = new LinkedHashMap<>();
    final ArrayDeque<RaftMessage> network = new ArrayDeque<>();
    /** Nodes whose messages, in and out, are lost. */
    final Set<NodeId> cutOff = new HashSet<>();
    /** Messages for which this returns true are lost. */
    Predicate<RaftMessage> drop = m -> false;
    /** Every message delivered, in order. */
    final List<RaftMessage> delivered = new ArrayList<>();
    private final Configuration bootstrap;
    private long seed = 1;

    /** A cluster of voters {@code ids}, none of them leader yet. */
    TestCluster(String... ids) {
        bootstrap = Configuration.ofVoters(ids);
        for (String s : ids) {
            add(s);
        }
    }

    /** Starts node {@code id} on an empty disk that knows only the cluster's bootstrap membership. */
    RaftNode add(String id) {
        NodeId n = NodeId.of(id);
        disks.put(n, new MemoryLogStorage(bootstrap));
        applied.put(n, new ArrayList<>());
        reads.put(n, new ArrayList<>());
        forwards.put(n, new ArrayList<>());
        return start(n);
    }

    /** Throws the node's volatile state away and starts it again from its disk. */
    RaftNode restart(String id) {
        return start(NodeId.of(id));
    }

    private RaftNode start(NodeId n) {
        RaftNode node = new RaftNode(RaftConfig.builder(n).build(), disks.get(n), new SplittableRandom(seed++));
        nodes.put(n, node);
        return node;
    }

    RaftNode node(String id) {
        return nodes.get(NodeId.of(id));
    }

    /** Makes {@code id} leader: it campaigns, and everything is delivered until quiet. */
    void elect(String id) {
        node(id).campaign();
        stabilize();
    }

    /** One tick on every node (cut-off ones included), then delivery until quiet. */
    void tick(int ticks) {
        for (int i = 0; i < ticks; i++) {
            nodes.values().forEach(RaftNode::tick);
            stabilize();
        }
    }

    /** Hands out and carries out every Ready, and delivers every message, until nothing moves. */
    void stabilize() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Map.Entry<NodeId, RaftNode> e : nodes.entrySet()) {
                RaftNode n = e.getValue();
                while (n.hasReady()) {
                    progress = true;
                    Ready rd = n.ready();
                    network.addAll(rd.messages());
                    MemoryLogStorage disk = disks.get(e.getKey());
                    if (rd.hardState() != null) {
                        disk.setHardState(rd.hardState());
                    }
                    if (rd.snapshot() != null) {
                        disk.applySnapshot(rd.snapshot());
                    }
                    disk.append(rd.entries());
                    network.addAll(rd.messagesAfterPersist());
                    applied.get(e.getKey()).addAll(rd.committedEntries());
                    reads.get(e.getKey()).addAll(rd.readStates());
                    forwards.get(e.getKey()).addAll(rd.forwardOutcomes());
                    if (rd.snapshot() != null) {
                        n.appliedTo(rd.snapshot().index());
                    }
                    if (!rd.committedEntries().isEmpty()) {
                        n.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).index());
                    }
                    n.advance(rd);
                }
            }
            while (!network.isEmpty()) {
                progress = true;
                RaftMessage m = network.poll();
                if (cutOff.contains(m.from()) || cutOff.contains(m.to()) || drop.test(m)
                        || !nodes.containsKey(m.to())) {
                    continue;
                }
                delivered.add(m);
                nodes.get(m.to()).step(m);
            }
        }
    }
}
