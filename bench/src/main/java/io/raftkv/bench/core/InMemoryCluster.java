package io.raftkv.bench.core;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.FollowerStatus;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.RaftNode;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.log.MemoryLogStorage;
import io.raftkv.core.message.RaftMessage;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A cluster of {@link RaftNode}s in one thread with nothing between them: messages go straight from one
 * node's {@link Ready} into another node's {@link RaftNode#step}, "persisting" is an append to a
 * {@link MemoryLogStorage}, and "applying" only records the index. So what a benchmark over it measures is
 * the Raft core itself (plus the few list operations of this driver), not I/O, serialization or threads.
 *
 * <p>Deterministic: nodes get fixed {@link SplittableRandom} seeds, no ticks are ever delivered (so no
 * election timeout or heartbeat fires in the middle of a measurement) and messages are delivered in the
 * order the Readys produced them.
 *
 * <p>The log is compacted as the run goes on, because there is no snapshotting yet and a benchmark that
 * commits tens of millions of entries would otherwise measure the garbage collector walking a huge log.
 */
final class InMemoryCluster {

    /**
     * Compact once the leader has applied this many entries since the last compaction. Compacting costs a
     * {@link RaftNode#status()} (a few objects) and an array shift per node, so doing it in large steps keeps
     * it out of the measurement while still bounding each log to a few thousand entries.
     */
    private static final long COMPACTION_STEP = 8192;

    /** One node with its "disk" and the highest index its state machine has applied. */
    private static final class Member {
        final NodeId id;
        final RaftNode node;
        final MemoryLogStorage disk;
        long applied;

        Member(NodeId id, RaftNode node, MemoryLogStorage disk) {
            this.id = id;
            this.node = node;
            this.disk = disk;
        }
    }

    private final Member[] members;
    /** Looked up once per delivered message; a hash map on the (cached) id hash is cheap enough. */
    private final Map<NodeId, Member> byId = new HashMap<>();
    /** Messages produced by Readys and not yet delivered: the whole "network". */
    private final ArrayDeque<RaftMessage> network = new ArrayDeque<>();
    private Member leader;
    private long compactedTo;
    /** Entries handed out for applying, summed over all nodes: each must be applied once, see {@link #verify()}. */
    private long entriesApplied;

    /**
     * @param config how every node is configured, given its id (its {@link RaftConfig#id()} must be that id)
     * @param ids    the voters
     */
    InMemoryCluster(Function<NodeId, RaftConfig> config, String... ids) {
        Configuration membership = Configuration.ofVoters(ids);
        members = new Member[ids.length];
        long seed = 1;
        for (int i = 0; i < ids.length; i++) {
            NodeId id = NodeId.of(ids[i]);
            MemoryLogStorage disk = new MemoryLogStorage(membership);
            RaftNode node = new RaftNode(config.apply(id), disk, new SplittableRandom(seed++));
            members[i] = new Member(id, node, disk);
            byId.put(id, members[i]);
        }
    }

    /** Makes the first node campaign and drives the cluster until it leads with its no-op applied. */
    RaftNode electFirst() {
        Member candidate = members[0];
        candidate.node.campaign();
        // Pre-vote, vote, then the no-op's replication: a handful of rounds. The bound only catches a bug.
        for (int round = 0; round < 100; round++) {
            round();
            if (candidate.node.role() == Role.LEADER && candidate.applied >= 1) {
                leader = candidate;
                return candidate.node;
            }
        }
        throw new IllegalStateException("no leader after 100 rounds: " + candidate.node.status());
    }

    /** The leader elected by {@link #electFirst()}. */
    RaftNode leader() {
        return leader.node;
    }

    /** The highest index the leader's state machine has applied. */
    long leaderApplied() {
        return leader.applied;
    }

    /**
     * Drives rounds until the leader has applied {@code index}. Messages still queued at that moment (the
     * followers' commit updates) stay in the network and go out with the next round, as they would in a
     * runtime that does not wait for them.
     */
    void driveUntilLeaderApplied(long index) {
        int rounds = 0;
        while (leader.applied < index) {
            if (++rounds > 1000) {
                throw new IllegalStateException("index " + index + " not applied after 1000 rounds: "
                        + leader.node.status());
            }
            round();
        }
        maybeCompact();
    }

    /**
     * One round: every node hands out and carries out Readys until it has none, then every queued message is
     * delivered. Steps queue no messages themselves (they wait in the node for its next Ready), so a round
     * always ends.
     */
    void round() {
        for (Member m : members) {
            while (m.node.hasReady()) {
                handle(m, m.node.ready());
            }
        }
        RaftMessage msg;
        while ((msg = network.poll()) != null) {
            byId.get(msg.to()).node.step(msg);
        }
    }

    /** Carries out one Ready in the order its contract demands. */
    private void handle(Member m, Ready rd) {
        network.addAll(rd.messages());
        if (rd.hardState() != null) {
            m.disk.setHardState(rd.hardState());
        }
        m.disk.append(rd.entries());
        network.addAll(rd.messagesAfterPersist());
        List<Entry> committed = rd.committedEntries();
        if (!committed.isEmpty()) {
            long last = committed.get(committed.size() - 1).index();
            entriesApplied += committed.size();
            m.applied = last;
            m.node.appliedTo(last);
        }
        m.node.advance(rd);
    }

    /**
     * Discards entries every node has applied and every follower holds. Both bounds matter: the core reads
     * entries to apply from storage, and the leader reads the entry before a follower's next index (its
     * match index at the latest) to build an append; compacting past either would break it.
     */
    private void maybeCompact() {
        if (leader.applied - compactedTo < COMPACTION_STEP) {
            return;
        }
        long floor = Long.MAX_VALUE;
        for (Member m : members) {
            floor = Math.min(floor, m.applied);
        }
        for (FollowerStatus f : leader.node.status().followers()) {
            floor = Math.min(floor, f.match());
        }
        if (floor <= compactedTo) {
            return;
        }
        for (Member m : members) {
            m.disk.compact(floor);
        }
        compactedTo = floor;
    }

    /**
     * Checks what a run must leave behind: every node applied each index exactly once, the nodes' logs agree
     * wherever two of them still hold an index, and compaction kept every log short. Throws if not, so a
     * broken driver cannot produce a plausible figure.
     */
    void verify() {
        long appliedSum = 0;
        for (Member m : members) {
            appliedSum += m.applied;
            long held = m.disk.lastIndex() - m.disk.firstIndex() + 1;
            if (held > 2 * COMPACTION_STEP) {
                throw new IllegalStateException(m.id + " holds " + held + " entries: compaction is not working");
            }
            long from = Math.max(m.disk.firstIndex(), leader.disk.firstIndex());
            long to = Math.min(m.applied, leader.applied);
            for (long i = from; i <= to; i++) {
                if (!m.disk.entry(i).equals(leader.disk.entry(i))) {
                    throw new IllegalStateException(m.id + " and the leader differ at index " + i);
                }
            }
        }
        if (appliedSum != entriesApplied) {
            throw new IllegalStateException("nodes applied " + entriesApplied + " entries in total, but their"
                    + " applied indexes add up to " + appliedSum);
        }
    }
}
