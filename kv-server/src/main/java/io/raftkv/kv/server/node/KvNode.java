package io.raftkv.kv.server.node;

import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.kv.server.fault.FaultInjector;
import io.raftkv.kv.server.http.HttpApiServer;
import io.raftkv.kv.server.protocol.ClientProtocolServer;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import io.raftkv.server.MessageSender;
import io.raftkv.server.RaftServer;
import io.raftkv.server.RaftServerConfig;
import io.raftkv.storage.DataDirectory;
import io.raftkv.storage.DurableStorage;
import io.raftkv.transport.NettyRaftTransport;
import io.raftkv.transport.TransportConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running key-value node: durable Raft storage, the RocksDB state machine, the Raft runtime, the peer
 * transport, the request service, and the client and HTTP endpoints. {@link #start} brings them up in
 * dependency order; {@link #close} stops them in reverse.
 */
public final class KvNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KvNode.class);

    private final NodeConfig config;
    private final String clusterId;
    private volatile boolean closed;
    /** Where to dial members whose address the configuration does not carry (from the initial cluster, or tests). */
    private final AtomicReference<Map<NodeId, InetSocketAddress>> fallbackAddresses;
    private final KvStateMachine store;
    private final RaftServer<KvResult> raft;
    private final NettyRaftTransport transport;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService readPool;
    private final KvService service;
    private final ClientProtocolServer clientServer;
    private final HttpApiServer httpServer;
    private final InetSocketAddress clientAddress;
    private final InetSocketAddress httpAddress;

    private KvNode(NodeConfig config, String clusterId,
                   AtomicReference<Map<NodeId, InetSocketAddress>> fallbackAddresses, KvStateMachine store, RaftServer<KvResult> raft, NettyRaftTransport transport,
                   ScheduledExecutorService scheduler, ExecutorService readPool, KvService service,
                   ClientProtocolServer clientServer, InetSocketAddress clientAddress, HttpApiServer httpServer,
                   InetSocketAddress httpAddress) {
        this.config = config;
        this.clusterId = clusterId;
        this.fallbackAddresses = fallbackAddresses;
        this.store = store;
        this.raft = raft;
        this.transport = transport;
        this.scheduler = scheduler;
        this.readPool = readPool;
        this.service = service;
        this.clientServer = clientServer;
        this.clientAddress = clientAddress;
        this.httpServer = httpServer;
        this.httpAddress = httpAddress;
    }

    /**
     * Starts a node. An empty data directory is bootstrapped with {@code config.initialCluster()} as the
     * voters, or, without one, with no membership: the node then joins the cluster at {@code config.join()}
     * (taking its cluster id), or waits idle until a member adds it. An existing data directory must belong to
     * the same cluster and node.
     *
     * @throws IOException if storage is damaged, belongs elsewhere, or a port cannot be bound
     */
    public static KvNode start(NodeConfig config) throws IOException {
        Path raftDir = config.dataDir().resolve("raft");
        Optional<String> stored = DataDirectory.storedClusterId(raftDir);
        ClusterJoin join = config.join().isEmpty() ? null : new ClusterJoin(config.join());
        String clusterId;
        if (stored.isPresent()) {
            // An existing data directory says which cluster this node belongs to (a mismatch with --cluster-id is
            // refused when the directory is opened, naming both).
            clusterId = config.clusterId() != null ? config.clusterId() : stored.get();
            if (join != null) {
                String theirs = joinClusterId(join);
                if (!theirs.equals(stored.get())) {
                    throw new IOException("refusing to join cluster '" + theirs + "': the data directory "
                            + raftDir + " belongs to cluster '" + stored.get() + "'. Start this node with an empty "
                            + "--data-dir to join '" + theirs + "', or without --join to rejoin its own cluster");
                }
            }
        } else if (join != null) {
            clusterId = joinClusterId(join);
            if (config.clusterId() != null && !config.clusterId().equals(clusterId)) {
                throw new IOException("refusing to join: the members at " + config.join() + " form cluster '"
                        + clusterId + "', not '" + config.clusterId() + "' as --cluster-id says");
            }
        } else {
            clusterId = config.clusterId() != null ? config.clusterId() : NodeConfig.DEFAULT_CLUSTER_ID;
        }
        // A new cluster starts from the initial members; a joining or idle node from no membership at all: it
        // learns the cluster's from the log or snapshot the leader sends once it has been added.
        Map<NodeId, String> addresses = new TreeMap<>();
        config.initialCluster().forEach((id, a) -> {
            if (a.getPort() != 0) { // port 0 (tests): the real one is known only once bound, and told later
                addresses.put(id, hostPort(a));
            }
        });
        AtomicReference<Map<NodeId, InetSocketAddress>> fallbackAddresses =
                new AtomicReference<>(Map.copyOf(config.initialCluster()));
        Configuration bootstrap = new Configuration(new TreeSet<>(config.initialCluster().keySet()), Set.of(),
                addresses);
        DurableStorage durable = DurableStorage.open(raftDir, clusterId, config.id(), bootstrap,
                DurableStorage.Options.defaults());
        io.raftkv.storage.RaftStorage storage = durable;
        KvStateMachine store = null;
        NettyRaftTransport transport = null;
        RaftServer<KvResult> raft = null;
        ScheduledExecutorService scheduler = null;
        ExecutorService readPool = null;
        ClientProtocolServer clientServer = null;
        try {
            store = KvStateMachine.open(config.dataDir().resolve("kv"), config.sessionTtl());
            // Tighter in-flight bounds than the core's defaults: under overload (1,000 clients writing 64 KiB
            // values on 2 cores) 64 MiB uncommitted and 32 MiB in flight per follower queued two seconds of work
            // in front of each write, which then timed out instead of being refused as overloaded. 16 MiB and
            // 8 MiB still keep tens of thousands of small entries in flight.
            RaftConfig raftConfig = RaftConfig.builder(config.id()).leaseReads(true)
                    .maxUncommittedBytes(16L << 20).maxInflightBytes(8L << 20).build();
            RaftServerConfig serverConfig = RaftServerConfig.of(raftConfig).withTick(config.tick())
                    .withSnapshots(config.snapshots());
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread th = new Thread(r, "kv-retry-" + config.id());
                th.setDaemon(true);
                return th;
            });
            // The transport hands inbound messages to the server, which sends through the transport: tie the knot.
            AtomicReference<RaftServer<KvResult>> server = new AtomicReference<>();
            FaultInjector faults = config.faultInjection()
                    ? new FaultInjector(scheduler, d -> server.get().stallLoop(d)) : null;
            if (faults != null) {
                storage = faults.storage(storage);
                LOG.warn("fault injection is ENABLED on node {}: /v1/fault/... can break it on purpose", config.id());
            }
            Map<NodeId, InetSocketAddress> peers = new HashMap<>(config.initialCluster());
            peers.remove(config.id());
            transport = new NettyRaftTransport(TransportConfig.of(config.id(), clusterId,
                    config.peerAddress(), peers), faults == null ? inboundTo(server) : faults.inbound(inboundTo(server)),
                    new Random(System.nanoTime()));
            final NettyRaftTransport t = transport;
            MessageSender sender = faults == null ? t::send : faults.outbound(t::send);
            raft = new RaftServer<>(serverConfig, storage, store, sender, new SplittableRandom(System.nanoTime()));
            server.set(raft);
            transport.start();
            // Members are dialled where the configuration in force says, from the moment a change is appended.
            raft.onConfigurationChange((inForce, committed) -> {
                // Members of both: one being removed is reached until its removal commits.
                Map<NodeId, InetSocketAddress> reach = new HashMap<>(
                        peerAddresses(config.id(), committed, fallbackAddresses.get()));
                reach.putAll(peerAddresses(config.id(), inForce, fallbackAddresses.get()));
                t.updatePeers(reach);
                // Not a member (idle, joining, or removed): take connections from any node of this cluster, so
                // that a leader adding this node can reach it and be answered.
                t.acceptUnconfiguredPeers(!inForce.contains(config.id()));
            });
            // Reads of local state run here once their barrier passes: off the Raft and I/O threads.
            readPool = Executors.newFixedThreadPool(4, r -> {
                Thread th = new Thread(r, "kv-read-" + config.id());
                th.setDaemon(true);
                return th;
            });
            KvService service = new KvService(raft, store, config.limits(), Clock.systemUTC(), scheduler, readPool,
                    clusterId);
            clientServer = new ClientProtocolServer(service, config.clientAddress());
            InetSocketAddress clientBound = clientServer.start();
            HttpApiServer http = new HttpApiServer(service, config.httpAddress(),
                    HttpApiServer.Options.defaults().withRequestTimeout(config.requestTimeout()), null, faults);
            InetSocketAddress httpBound = http.start();
            LOG.info("node {} of cluster {} started: peers on {}, clients on {}, HTTP on {}, data in {}",
                    config.id(), clusterId, transport.localAddress(), clientBound, httpBound,
                    config.dataDir());
            KvNode node = new KvNode(config, clusterId, fallbackAddresses, store, raft, transport, scheduler, readPool, service,
                    clientServer, clientBound, http, httpBound);
            if (raft.status().configuration().contains(config.id())) {
                if (join != null) {
                    LOG.info("node {} is already a member of cluster {}: --join has nothing to do", config.id(),
                            clusterId);
                }
            } else if (join != null) {
                node.startJoining(join, hostPort(new InetSocketAddress(config.peerAddress().getHostString(),
                        transport.localAddress().getPort())));
            } else {
                LOG.info("node {} is not a member of any configuration yet: it waits, idle, until a member adds "
                        + "it (POST /v1/cluster/members on the leader, or bin/raftkv cluster add)", config.id());
            }
            return node;
        } catch (IOException | RuntimeException e) {
            if (clientServer != null) {
                clientServer.close();
            }
            if (raft != null) {
                raft.close(); // closes the storage too
            } else {
                durable.close();
            }
            if (transport != null) {
                transport.close();
            }
            if (scheduler != null) {
                scheduler.shutdownNow();
            }
            if (readPool != null) {
                readPool.shutdownNow();
            }
            if (store != null) {
                store.close();
            }
            throw e;
        }
    }

    private static String joinClusterId(ClusterJoin join) throws IOException {
        try {
            return join.clusterId(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the cluster to join for its id", e);
        }
    }

    /** Asks the cluster to add this node, on a thread of its own (it may take as long as a snapshot transfer). */
    private void startJoining(ClusterJoin join, String advertisedPeerAddress) {
        Thread joiner = new Thread(() -> {
            try {
                join.requestMembership(config.id(), advertisedPeerAddress, () -> closed);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.error("node {}: joining the cluster failed", config.id(), e);
            }
        }, "raftkv-join-" + config.id());
        joiner.setDaemon(true);
        joiner.start();
    }

    /**
     * Where to dial each other member of {@code c}: the address the configuration carries, else (for a cluster
     * created before configurations carried addresses) the one given in the initial cluster.
     */
    private static Map<NodeId, InetSocketAddress> peerAddresses(NodeId self, Configuration c,
                                                                Map<NodeId, InetSocketAddress> fallback) {
        Map<NodeId, InetSocketAddress> peers = new HashMap<>();
        for (NodeId m : c.members()) {
            if (m.equals(self)) {
                continue;
            }
            String a = c.addressOf(m);
            InetSocketAddress address = null;
            if (a != null) {
                try {
                    address = NodeConfig.parseAddress(a);
                } catch (IllegalArgumentException e) {
                    LOG.warn("member {} has an unusable address in the configuration: {}", m, e.getMessage());
                }
            }
            if (address == null) {
                address = fallback.get(m);
            }
            if (address != null) {
                peers.put(m, address);
            }
        }
        return peers;
    }

    /** {@code host:port} of {@code a} as given (no reverse lookup), IPv6 in brackets. */
    static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static java.util.function.Consumer<io.raftkv.core.message.RaftMessage> inboundTo(
            AtomicReference<RaftServer<KvResult>> server) {
        return m -> {
            RaftServer<KvResult> s = server.get();
            if (s != null) {
                s.receive(m);
            }
        };
    }

    public NodeConfig config() {
        return config;
    }

    /** The cluster this node belongs to (from its data directory, the cluster it joined, or its config). */
    public String clusterId() {
        return clusterId;
    }

    public KvService service() {
        return service;
    }

    public RaftServer<KvResult> raft() {
        return raft;
    }

    /** Where peers reach this node (the bound address, so port 0 in the config becomes a real port). */
    public InetSocketAddress peerAddress() {
        return transport.localAddress();
    }

    /** Where clients reach this node. */
    public InetSocketAddress clientAddress() {
        return clientAddress;
    }

    /** Where the HTTP API listens. */
    public InetSocketAddress httpAddress() {
        return httpAddress;
    }

    /**
     * Tells this node where the other members are now (for example after they bound ephemeral ports): used for
     * members whose address the configuration does not carry.
     */
    public void updatePeerAddresses(Map<NodeId, InetSocketAddress> peers) {
        fallbackAddresses.set(Map.copyOf(peers));
        Map<NodeId, InetSocketAddress> now = new HashMap<>(peers);
        now.putAll(peerAddresses(config.id(), raft.status().configuration(), fallbackAddresses.get()));
        now.remove(config.id());
        transport.updatePeers(now);
    }

    /** Stops endpoints, Raft, transport and store, in that order. */
    @Override
    public void close() {
        closed = true;
        httpServer.close();
        clientServer.close();
        raft.close();
        transport.close();
        scheduler.shutdownNow();
        readPool.shutdownNow();
        store.close();
        LOG.info("node {} stopped", config.id());
    }
}
