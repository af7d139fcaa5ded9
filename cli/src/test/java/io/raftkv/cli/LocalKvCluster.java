package io.raftkv.cli;

import io.raftkv.core.NodeId;
import io.raftkv.core.Role;
import io.raftkv.kv.server.node.KvNode;
import io.raftkv.kv.server.node.NodeConfig;
import io.raftkv.kv.server.service.KvLimits;
import io.raftkv.server.SnapshotPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Real {@link KvNode}s in one JVM on real sockets (ephemeral ports everywhere: nodes bind port 0, then learn
 * each other's actual peer addresses, so tests never race for ports). A stopped node restarts on the same data
 * directory and new ports.
 */
final class LocalKvCluster implements AutoCloseable {

    final Path root;
    final Map<NodeId, KvNode> nodes = new LinkedHashMap<>();
    private final Map<NodeId, InetSocketAddress> peerAddresses = new LinkedHashMap<>();
    private final Map<NodeId, InetSocketAddress> bootstrap = new LinkedHashMap<>();

    private final boolean faultInjection;
    private final SnapshotPolicy snapshots;

    LocalKvCluster(Path root, int size) {
        this(root, size, true);
    }

    LocalKvCluster(Path root, int size, boolean faultInjection) {
        this(root, size, faultInjection, SnapshotPolicy.defaults());
    }

    LocalKvCluster(Path root, int size, boolean faultInjection, SnapshotPolicy snapshots) {
        this.root = root;
        this.faultInjection = faultInjection;
        this.snapshots = snapshots;
        for (int i = 1; i <= size; i++) {
            bootstrap.put(NodeId.of("n" + i), new InetSocketAddress("127.0.0.1", 0));
        }
        for (NodeId id : bootstrap.keySet()) {
            start(id);
        }
    }

    void start(NodeId id) {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        NodeConfig config = new NodeConfig(id, "test", root.resolve(id.value()), any, any, any, bootstrap,
                java.util.List.of(), Duration.ofMillis(25), Duration.ofSeconds(5), KvLimits.defaults(), Duration.ofHours(1), faultInjection,
                snapshots);
        try {
            KvNode node = KvNode.start(config);
            nodes.put(id, node);
            peerAddresses.put(id, node.peerAddress());
            for (KvNode n : nodes.values()) {
                n.updatePeerAddresses(peerAddresses);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop(NodeId id) {
        KvNode n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    /** The node every running node agrees is leader, or null. */
    KvNode leader() {
        KvNode leader = null;
        for (KvNode n : nodes.values()) {
            if (n.raft().status().role() == Role.LEADER) {
                leader = n;
            }
        }
        if (leader == null) {
            return null;
        }
        for (KvNode n : nodes.values()) {
            if (!leader.config().id().equals(n.raft().status().leader())) {
                return null;
            }
        }
        return leader;
    }

    @Override
    public void close() {
        for (NodeId id : Map.copyOf(nodes).keySet()) {
            stop(id);
        }
    }
}
