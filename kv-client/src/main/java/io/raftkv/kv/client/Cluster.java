package io.raftkv.kv.client;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.api.proto.ClientRequest;
import io.raftkv.kv.api.proto.StatusRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's view of the cluster: one {@link Connection} per endpoint, which endpoint to try first, and the
 * node ids behind the endpoints (learned from status answers, so that a leader named by id can be found).
 *
 * <p>Any node serves any request (followers forward writes and serve ReadIndex reads), so the preferred endpoint
 * is only an optimisation: the one that last said it leads, which saves a forwarding hop. It is a hint updated
 * without locks; a stale value only costs that hop.
 */
final class Cluster {

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    /** Discovery runs at most this often, however many requests fail at once. */
    private static final long MIN_DISCOVERY_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final List<Endpoint> endpoints;
    private final Map<Endpoint, Connection> connections;
    private final EventLoop scheduler;
    private final Duration statusTimeout;
    private final Map<String, Endpoint> endpointsById = new ConcurrentHashMap<>();
    private final AtomicBoolean discovering = new AtomicBoolean();
    private volatile Endpoint preferred;
    /** Term of the newest leader seen, so that a deposed leader's stale answer does not win. */
    private volatile long leaderTerm = -1;
    private volatile long lastDiscoveryNanos;

    Cluster(List<Endpoint> endpoints, EventLoopGroup group, Duration connectTimeout, Duration statusTimeout,
            int maxFrameBytes, int maxQueuedBytes, Endpoint first) {
        this.endpoints = List.copyOf(endpoints);
        Map<Endpoint, Connection> c = new LinkedHashMap<>();
        for (Endpoint e : this.endpoints) {
            c.put(e, new Connection(e, group.next(), connectTimeout, maxFrameBytes, maxQueuedBytes));
        }
        this.connections = Map.copyOf(c);
        this.scheduler = group.next();
        this.statusTimeout = statusTimeout;
        this.preferred = first;
        this.lastDiscoveryNanos = System.nanoTime() - MIN_DISCOVERY_INTERVAL_NANOS;
    }

    List<Endpoint> endpoints() {
        return endpoints;
    }

    /** Runs timers: retries after backoff, deadlines. */
    EventLoop scheduler() {
        return scheduler;
    }

    Connection connection(Endpoint e) {
        Connection c = connections.get(e);
        if (c == null) {
            throw new IllegalArgumentException(e + " is not one of the client's endpoints " + endpoints);
        }
        return c;
    }

    /** Where to send a request first. */
    Endpoint preferred() {
        return preferred;
    }

    /** The endpoint after {@code e}, round robin. */
    Endpoint after(Endpoint e) {
        int i = endpoints.indexOf(e);
        return endpoints.get((i + 1) % endpoints.size());
    }

    /**
     * {@code e} failed a request (unreachable, or without a leader): stop preferring it and look for the leader.
     * Returns the endpoint to try next.
     */
    Endpoint failedAt(Endpoint e) {
        Endpoint next = after(e);
        if (e.equals(preferred)) {
            preferred = next;
        }
        discover();
        return preferred.equals(e) ? next : preferred;
    }

    /**
     * A node named {@code leaderId} as the leader: returns its endpoint and prefers it, or returns null (and
     * starts discovery) if no endpoint is known for it yet.
     */
    Endpoint leaderNamed(String leaderId) {
        if (leaderId == null || leaderId.isEmpty()) {
            return null;
        }
        Endpoint e = endpointsById.get(leaderId);
        if (e == null) {
            discover();
            return null;
        }
        preferred = e;
        return e;
    }

    /** Takes in what {@code e} said about itself. */
    void learned(Endpoint e, NodeStatus s) {
        endpointsById.put(s.id(), e);
        if (s.isLeader()) {
            if (s.term() >= leaderTerm) {
                leaderTerm = s.term();
                if (!e.equals(preferred)) {
                    LOG.debug("{} ({}) leads in term {}", e, s.id(), s.term());
                }
                preferred = e;
            }
        } else if (s.leaderId() != null && s.term() >= leaderTerm) {
            Endpoint leader = endpointsById.get(s.leaderId());
            if (leader != null) {
                preferred = leader;
            }
        }
    }

    /** Asks every endpoint for its status, in the background, unless that happened within the last 50 ms. */
    void discover() {
        long now = System.nanoTime();
        if (now - lastDiscoveryNanos < MIN_DISCOVERY_INTERVAL_NANOS || !discovering.compareAndSet(false, true)) {
            return;
        }
        lastDiscoveryNanos = now;
        List<CompletableFuture<?>> asks = new ArrayList<>();
        for (Endpoint e : endpoints) {
            asks.add(status(e).exceptionally(t -> null));
        }
        CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0]))
                .whenComplete((ignored, error) -> discovering.set(false));
    }

    /** One status request to {@code e}, no retries; what it says is learned. */
    CompletableFuture<NodeStatus> status(Endpoint e) {
        long timeoutMillis = statusTimeout.toMillis();
        ClientRequest.Builder req = ClientRequest.newBuilder().setVersion(ClientProtocol.VERSION)
                .setTimeoutMillis((int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .setStatus(StatusRequest.getDefaultInstance());
        return connection(e).send(req, timeoutMillis).handle((resp, err) -> {
            if (err != null) {
                Throwable cause = err.getCause() != null && !(err instanceof ConnectionFailure) ? err.getCause() : err;
                throw new KvClientException(ErrorCode.UNAVAILABLE, e + ": " + cause.getMessage());
            }
            NodeStatus s = Responses.status(e, resp);
            learned(e, s);
            return s;
        });
    }

    /** Asks the node at {@code e} to snapshot itself, no retries. */
    CompletableFuture<SnapshotTaken> snapshot(Endpoint e, long timeoutMillis) {
        ClientRequest.Builder req = ClientRequest.newBuilder().setVersion(ClientProtocol.VERSION)
                .setTimeoutMillis((int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .setSnapshot(io.raftkv.kv.api.proto.SnapshotRequest.getDefaultInstance());
        return connection(e).send(req, timeoutMillis).thenApply(resp -> Responses.snapshot(e, resp));
    }

    void close() {
        connections.values().forEach(Connection::close);
    }

    /** For tests and logs: the endpoints known by node id. */
    Map<String, Endpoint> knownIds() {
        return Map.copyOf(endpointsById);
    }
}
