package io.raftkv.cli;

import io.raftkv.core.NodeId;
import io.raftkv.kv.server.node.KvNode;
import io.raftkv.kv.server.node.NodeConfig;
import io.raftkv.kv.server.service.KvLimits;
import io.raftkv.server.SnapshotPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code raftkv server}: runs one node until interrupted. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Runs one raftkv node until it is stopped (Ctrl-C or SIGTERM stop it cleanly).",
                "Every option can also be given in a config file: --config node.yaml (or .properties),",
                "keys being the option names without dashes (data-dir: data/n1). Command-line options win."})
final class ServerCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Read options from this .yaml or .properties file.")
    Path config;

    @Option(names = "--id", required = true, description = "This node's id, e.g. n1.")
    String id;

    @Option(names = "--cluster-id",
            description = {"The cluster's name, stored in every member's data directory; give each cluster its own.",
                    "Default: the one in the data directory, the joined cluster's, or raftkv for a new cluster."})
    String clusterId;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the node keeps its data (default: data/<id>).")
    Path dataDir;

    @Option(names = "--peer-address", required = true, paramLabel = "HOST:PORT", description = "Raft traffic.")
    String peerAddress;

    @Option(names = "--client-address", required = true, paramLabel = "HOST:PORT",
            description = "The binary client protocol (bin/raftkv put/get/..., the Java client).")
    String clientAddress;

    @Option(names = "--http-address", required = true, paramLabel = "HOST:PORT", description = "The HTTP/JSON API.")
    String httpAddress;

    @Option(names = "--initial-cluster", paramLabel = "ID=HOST:PORT,...",
            description = {"Creates a cluster: every member's peer address, this node included. Bootstraps an empty",
                    "data directory; afterwards the membership stored in the data directory is the truth.",
                    "Without it and without --join, a node with an empty data directory waits, idle, to be added."})
    String initialCluster;

    @Option(names = "--join", paramLabel = "HOST:PORT,...", split = ",",
            description = {"Joins a running cluster: HTTP addresses of one or more of its members (give several, or",
                    "the leader's: the request is retried at each until the leader takes it). The node takes the",
                    "cluster's id, is added as a learner, receives the data, and is promoted to voter once caught up."})
    java.util.List<String> join;

    @Option(names = "--tick-ms", defaultValue = "100",
            description = "Raft tick: heartbeat interval; elections time out after 10 to 20 ticks (default: ${DEFAULT-VALUE}).")
    long tickMillis;

    @Option(names = "--request-timeout-ms", defaultValue = "5000",
            description = "How long a request waits for a leader before failing as unavailable (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMillis;

    @Option(names = "--max-key-bytes", defaultValue = "4096", description = "Longest key (default: ${DEFAULT-VALUE}).")
    int maxKeyBytes;

    @Option(names = "--max-value-bytes", defaultValue = "1048576",
            description = "Longest value (default: ${DEFAULT-VALUE}).")
    int maxValueBytes;

    @Option(names = "--session-ttl-seconds", defaultValue = "3600",
            description = "How long an idle client session is remembered for exactly-once retries (default: ${DEFAULT-VALUE}).")
    long sessionTtlSeconds;

    @Option(names = "--enable-fault-injection",
            description = "Serve /v1/fault/... (isolate, drop, delay, slow disk, pause, crash) for tests and demos.")
    boolean faultInjection;

    @Option(names = "--snapshot-entries", defaultValue = "100000",
            description = "Snapshot the state and compact the log after this many entries (0: only on request; default: ${DEFAULT-VALUE}).")
    long snapshotEntries;

    @Option(names = "--snapshot-bytes", defaultValue = "268435456",
            description = "... or after this many bytes of entries (0: no byte threshold; default: ${DEFAULT-VALUE}).")
    long snapshotBytes;

    @Option(names = "--snapshot-keep-entries", defaultValue = "10000",
            description = "Entries kept before a snapshot when compacting, for followers slightly behind (default: ${DEFAULT-VALUE}).")
    long snapshotKeep;

    @Option(names = "--snapshot-chunk-bytes", defaultValue = "1048576",
            description = "Chunk size when sending a snapshot to a follower (default: ${DEFAULT-VALUE}).")
    int snapshotChunkBytes;

    @Override
    public Integer call() throws Exception {
        NodeId nodeId = NodeId.of(id);
        SnapshotPolicy snapshots = SnapshotPolicy.defaults().withThresholds(snapshotEntries, snapshotBytes, snapshotKeep)
                .withChunkBytes(snapshotChunkBytes);
        NodeConfig nodeConfig = new NodeConfig(nodeId, clusterId, dataDir != null ? dataDir : Path.of("data", id),
                NodeConfig.parseAddress(peerAddress), NodeConfig.parseAddress(clientAddress),
                NodeConfig.parseAddress(httpAddress),
                initialCluster == null ? java.util.Map.of() : NodeConfig.parseCluster(initialCluster),
                join == null ? java.util.List.of() : join, Duration.ofMillis(tickMillis), Duration.ofMillis(requestTimeoutMillis),
                new KvLimits(maxKeyBytes, maxValueBytes, 10_000), Duration.ofSeconds(sessionTtlSeconds),
                faultInjection, snapshots);
        KvNode node = KvNode.start(nodeConfig);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "raftkv-shutdown"));
        System.out.println("raftkv node " + id + " ready: peers " + peerAddress + ", clients " + clientAddress
                + ", HTTP " + httpAddress);
        System.out.flush();
        stopped.await();
        return 0;
    }
}
