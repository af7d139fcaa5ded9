package io.raftkv.kv.server.node;

import io.raftkv.core.NodeId;
import io.raftkv.kv.server.service.KvLimits;
import io.raftkv.server.SnapshotPolicy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one key-value node needs to start.
 *
 * @param id             this node
 * @param clusterId      the cluster's name (stored in the data directory; a directory of another cluster is refused),
 *                       or null: then the one stored in the data directory, the one of the cluster joined with
 *                       {@code join}, or {@value #DEFAULT_CLUSTER_ID} for a new cluster
 * @param dataDir        where the node keeps its Raft state ({@code raft/}) and its key-value store ({@code kv/})
 * @param peerAddress    where peers connect (Raft traffic)
 * @param clientAddress  where clients connect (the binary client protocol)
 * @param httpAddress    where the HTTP/JSON API listens
 * @param initialCluster every member's peer address, this node included. The membership it describes is used
 *                       only to bootstrap an empty data directory; afterwards the data directory is the truth.
 *                       Empty for a node that joins a running cluster ({@code join}) or waits, idle, to be added.
 * @param join           HTTP addresses ({@code host:port}) of members of a running cluster that this node, started
 *                       with an empty data directory, asks to add it (as a learner, then a voter); empty otherwise
 * @param tick           length of a Raft tick (heartbeat interval; election timeout is 10 to 20 ticks)
 * @param requestTimeout how long a request may wait for a leader or quorum before it fails as unavailable
 * @param limits         key and value size limits
 * @param sessionTtl     how long an idle client session is remembered (for exactly-once retries)
 * @param faultInjection serve the fault-injection endpoints ({@code /v1/fault/...}); for tests and demos only
 */
public record NodeConfig(NodeId id, String clusterId, Path dataDir, InetSocketAddress peerAddress,
                         InetSocketAddress clientAddress, InetSocketAddress httpAddress,
                         Map<NodeId, InetSocketAddress> initialCluster, List<String> join, Duration tick,
                         Duration requestTimeout,
                         KvLimits limits, Duration sessionTtl, boolean faultInjection, SnapshotPolicy snapshots) {

    public NodeConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(snapshots, "snapshots");
        initialCluster = Map.copyOf(initialCluster);
        join = List.copyOf(join);
        if (!initialCluster.isEmpty() && !initialCluster.containsKey(id)) {
            throw new IllegalArgumentException("the initial cluster " + initialCluster.keySet()
                    + " must include this node (" + id + ")");
        }
        if (!initialCluster.isEmpty() && !join.isEmpty()) {
            throw new IllegalArgumentException("give either an initial cluster (to create a cluster) or addresses "
                    + "to join (to join a running one), not both");
        }
        for (String j : join) {
            parseAddress(j); // validates
        }
    }

    /** The cluster id of a new cluster created without one. */
    public static final String DEFAULT_CLUSTER_ID = "raftkv";

    /**
     * Parses {@code n1=127.0.0.1:7001,n2=127.0.0.1:7002}: member ids and peer addresses, in order.
     *
     * @throws IllegalArgumentException naming the faulty part
     */
    public static Map<NodeId, InetSocketAddress> parseCluster(String spec) {
        Map<NodeId, InetSocketAddress> members = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + p + "' is not of the form id=host:port");
            }
            NodeId id = NodeId.of(p.substring(0, eq).trim());
            if (members.put(id, parseAddress(p.substring(eq + 1).trim())) != null) {
                throw new IllegalArgumentException("node " + id + " appears twice in the cluster list");
            }
        }
        if (members.isEmpty()) {
            throw new IllegalArgumentException("the cluster list is empty");
        }
        return members;
    }

    /** Parses {@code host:port} (IPv6 as {@code [::1]:port}). */
    public static InetSocketAddress parseAddress(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + s + "' is not of the form host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' has no valid port", e);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " in '" + s + "' is out of range");
        }
        return new InetSocketAddress(host, port);
    }
}
