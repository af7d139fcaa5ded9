package io.raftkv.kv.client;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.Role;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.kv.server.protocol.ClientProtocolServer;
import io.raftkv.kv.server.service.KvLimits;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import io.raftkv.server.RaftServer;
import io.raftkv.server.RaftServerConfig;
import io.raftkv.storage.DurableStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Real key-value nodes in one JVM: per node a {@link RaftServer} on {@link DurableStorage} (its own directory),
 * a {@link KvStateMachine}, a {@link KvService} and a {@link ClientProtocolServer} on 127.0.0.1, the Raft nodes
 * connected by an in-memory network. Short ticks (20 ms) keep elections quick. Voters that are never started
 * still get a client endpoint: a port nobody listens on.
 */
final class TestCluster implements AutoCloseable {

    /** One running node. */
    static final class Node {
        final String id;
        final RaftServer<KvResult> raft;
        final KvStateMachine store;
        final ScheduledExecutorService scheduler;
        final ExecutorService reads;
        final ClientProtocolServer server;

        Node(String id, RaftServer<KvResult> raft, KvStateMachine store, ScheduledExecutorService scheduler,
             ExecutorService reads, ClientProtocolServer server) {
            this.id = id;
            this.raft = raft;
            this.store = store;
            this.scheduler = scheduler;
            this.reads = reads;
            this.server = server;
        }

        void close() {
            server.close();
            raft.close();
            scheduler.shutdownNow();
            reads.shutdownNow();
            store.close();
        }
    }

    private final Path root;
    private final Configuration membership;
    private final long seed;
    private final EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(2,
            new DefaultThreadFactory("test-servers", true), NioIoHandler.newFactory());
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, Endpoint> endpoints = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private int starts;

    /** A cluster of {@code voters}, of which only {@code running} are started. */
    TestCluster(Path root, long seed, List<String> voters, List<String> running) {
        this.root = root;
        this.seed = seed;
        this.membership = Configuration.ofVoters(voters.toArray(new String[0]));
        for (String id : voters) {
            if (running.contains(id)) {
                start(id);
            } else {
                endpoints.put(id, new Endpoint("127.0.0.1", unusedPort()));
            }
        }
    }

    /** A cluster of {@code voters}, all started. */
    TestCluster(Path root, long seed, String... voters) {
        this(root, seed, List.of(voters), List.of(voters));
    }

    synchronized void start(String id) {
        try {
            NodeId nodeId = NodeId.of(id);
            DurableStorage storage = DurableStorage.open(root.resolve(id).resolve("raft"), "client-test", nodeId,
                    membership, DurableStorage.Options.defaults());
            KvStateMachine store = KvStateMachine.open(root.resolve(id).resolve("kv"), Duration.ofHours(1));
            RaftServer<KvResult> raft = new RaftServer<>(
                    RaftServerConfig.of(RaftConfig.builder(nodeId).build()).withTick(Duration.ofMillis(20)),
                    storage, store, this::deliver, new SplittableRandom(seed * 31 + id.hashCode() * 7L + starts++));
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                    new DefaultThreadFactory("kv-retry-" + id, true));
            ExecutorService reads = Executors.newFixedThreadPool(1, new DefaultThreadFactory("kv-read-" + id, true));
            KvService service = new KvService(raft, store, KvLimits.defaults(), Clock.systemUTC(), scheduler, reads);
            // Port 0 the first time; a restarted node takes its old port again, as clients know it by that.
            Endpoint known = endpoints.get(id);
            InetSocketAddress bind = new InetSocketAddress("127.0.0.1", known == null ? 0 : known.port());
            ClientProtocolServer server = new ClientProtocolServer(service, bind, ClientProtocolServer.Options.defaults(),
                    serverGroup);
            endpoints.put(id, Endpoint.of(server.start()));
            nodes.put(id, new Node(id, raft, store, scheduler, reads, server));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized void stop(String id) {
        Node n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    private void deliver(RaftMessage m) {
        Node to = nodes.get(m.to().value());
        if (to != null) {
            to.raft.receive(m);
        }
    }

    Node node(String id) {
        return nodes.get(id);
    }

    Set<String> running() {
        return Set.copyOf(nodes.keySet());
    }

    Endpoint endpoint(String id) {
        return endpoints.get(id);
    }

    List<Endpoint> endpoints() {
        return new ArrayList<>(endpoints.values());
    }

    /** {@code host:port,...} of every voter, started or not. */
    String endpointList() {
        return endpoints.values().stream().map(Endpoint::toString).collect(Collectors.joining(","));
    }

    /** The leader every running node agrees on, or null. */
    String leader() {
        String leader = null;
        long term = -1;
        for (Node n : nodes.values()) {
            if (n.raft.status().role() == Role.LEADER && n.raft.status().term() > term) {
                leader = n.id;
                term = n.raft.status().term();
            }
        }
        if (leader == null) {
            return null;
        }
        for (Node n : nodes.values()) {
            NodeId l = n.raft.status().leader();
            if (l == null || !l.value().equals(leader)) {
                return null;
            }
        }
        return leader;
    }

    /** A port that was free a moment ago: for voters that never run, so connecting to them is refused. */
    private static int unusedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        for (String id : Set.copyOf(nodes.keySet())) {
            stop(id);
        }
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
