package io.raftkv.server;

import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.Role;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.storage.DurableStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real {@link RaftServer}s on real durable storage (one directory each) in one JVM, connected by an
 * in-memory network that can cut any node off. Short ticks keep the tests quick.
 */
final class LocalCluster implements AutoCloseable {

    final Path root;
    final Configuration membership;
    final Map<NodeId, RaftServer<String>> servers = new ConcurrentHashMap<>();
    final Map<NodeId, CountingStateMachine> machines = new ConcurrentHashMap<>();
    final Set<NodeId> isolated = ConcurrentHashMap.newKeySet();
    private int starts;

    LocalCluster(Path root, String... ids) {
        this.root = root;
        this.membership = Configuration.ofVoters(ids);
        for (String id : ids) {
            start(NodeId.of(id));
        }
    }

    void start(NodeId id) {
        start(id, membership);
    }

    /** Starts a node with an empty data directory and no membership: it waits to be added. */
    void startEmpty(NodeId id) {
        start(id, new Configuration(Set.of(), Set.of()));
    }

    private void start(NodeId id, Configuration bootstrap) {
        try {
            DurableStorage storage = DurableStorage.open(root.resolve(id.value()), "test", id, bootstrap,
                    DurableStorage.Options.defaults());
            CountingStateMachine sm = new CountingStateMachine();
            RaftServerConfig config = RaftServerConfig.of(RaftConfig.builder(id).build())
                    .withTick(Duration.ofMillis(20));
            RaftServer<String> server = new RaftServer<>(config, storage, sm, this::deliver,
                    new SplittableRandom(id.hashCode() * 31L + starts++));
            machines.put(id, sm);
            servers.put(id, server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop(NodeId id) {
        RaftServer<String> s = servers.remove(id);
        if (s != null) {
            s.close();
        }
    }

    private void deliver(RaftMessage m) {
        if (isolated.contains(m.from()) || isolated.contains(m.to())) {
            return;
        }
        RaftServer<String> to = servers.get(m.to());
        if (to != null) {
            to.receive(m);
        }
    }

    /** The single leader that every running node agrees on, or null. */
    RaftServer<String> leader() {
        RaftServer<String> leader = null;
        for (RaftServer<String> s : servers.values()) {
            if (s.status().role() == Role.LEADER && !isolated.contains(s.id())) {
                if (leader != null && s.status().term() <= leader.status().term()) {
                    continue;
                }
                leader = s;
            }
        }
        if (leader == null) {
            return null;
        }
        for (RaftServer<String> s : servers.values()) {
            if (!isolated.contains(s.id()) && !leader.id().equals(s.status().leader())) {
                return null;
            }
        }
        return leader;
    }

    Map<NodeId, RaftServer<String>> followers() {
        Map<NodeId, RaftServer<String>> out = new LinkedHashMap<>();
        RaftServer<String> l = leader();
        servers.forEach((k, v) -> {
            if (l == null || !k.equals(l.id())) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Override
    public void close() {
        for (NodeId id : Set.copyOf(servers.keySet())) {
            stop(id);
        }
    }
}
