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
import io.raftkv.storage.DurableStorage;
import io.raftkv.transport.NettyRaftTransport;
import io.raftkv.transport.TransportConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
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

    private KvNode(NodeConfig config, KvStateMachine store, RaftServer<KvResult> raft, NettyRaftTransport transport,
                   ScheduledExecutorService scheduler, ExecutorService readPool, KvService service,
                   ClientProtocolServer clientServer, InetSocketAddress clientAddress, HttpApiServer httpServer,
                   InetSocketAddress httpAddress) {
        this.config = config;
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
     * voters; an existing one must belong to the same cluster and node.
     *
     * @throws IOException if storage is damaged, belongs elsewhere, or a port cannot be bound
     */
    public static KvNode start(NodeConfig config) throws IOException {
        Configuration bootstrap = new Configuration(new TreeSet<>(config.initialCluster().keySet()),
                java.util.Set.of());
        DurableStorage durable = DurableStorage.open(config.dataDir().resolve("raft"), config.clusterId(),
                config.id(), bootstrap, DurableStorage.Options.defaults());
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
            transport = new NettyRaftTransport(TransportConfig.of(config.id(), config.clusterId(),
                    config.peerAddress(), peers), faults == null ? inboundTo(server) : faults.inbound(inboundTo(server)),
                    new Random(System.nanoTime()));
            final NettyRaftTransport t = transport;
            MessageSender sender = faults == null ? t::send : faults.outbound(t::send);
            raft = new RaftServer<>(serverConfig, storage, store, sender, new SplittableRandom(System.nanoTime()));
            server.set(raft);
            transport.start();
            // Reads of local state run here once their barrier passes: off the Raft and I/O threads.
            readPool = Executors.newFixedThreadPool(4, r -> {
                Thread th = new Thread(r, "kv-read-" + config.id());
                th.setDaemon(true);
                return th;
            });
            KvService service = new KvService(raft, store, config.limits(), Clock.systemUTC(), scheduler, readPool);
            clientServer = new ClientProtocolServer(service, config.clientAddress());
            InetSocketAddress clientBound = clientServer.start();
            HttpApiServer http = new HttpApiServer(service, config.httpAddress(),
                    HttpApiServer.Options.defaults().withRequestTimeout(config.requestTimeout()), null, faults);
            InetSocketAddress httpBound = http.start();
            LOG.info("node {} of cluster {} started: peers on {}, clients on {}, HTTP on {}, data in {}",
                    config.id(), config.clusterId(), transport.localAddress(), clientBound, httpBound,
                    config.dataDir());
            return new KvNode(config, store, raft, transport, scheduler, readPool, service, clientServer,
                    clientBound, http, httpBound);
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

    /** Tells the transport where the other members are now (for example after they bound ephemeral ports). */
    public void updatePeerAddresses(Map<NodeId, InetSocketAddress> peers) {
        transport.updatePeers(peers);
    }

    /** Stops endpoints, Raft, transport and store, in that order. */
    @Override
    public void close() {
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
