package io.raftkv.kv.client;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.api.proto.CasRequest;
import io.raftkv.kv.api.proto.ClientRequest;
import io.raftkv.kv.api.proto.DeleteRequest;
import io.raftkv.kv.api.proto.GetRequest;
import io.raftkv.kv.api.proto.PutRequest;
import io.raftkv.kv.api.proto.ScanRequest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * A client of the replicated key-value store, speaking the client protocol to any number of its nodes.
 *
 * <pre>{@code
 * try (KvClient client = KvClient.builder().endpoints("10.0.0.1:7001,10.0.0.2:7001,10.0.0.3:7001").build()) {
 *     long revision = client.blocking().put("greeting", "hello");
 *     client.get("greeting").thenAccept(v -> System.out.println(v.map(VersionedValue::valueAsString)));
 * }
 * }</pre>
 *
 * <p><b>Failures and retries.</b> Every request has a deadline ({@link Builder#requestTimeout}); until then the
 * client retries what may succeed elsewhere or later (unreachable node, no leader, overload), rotating through
 * the endpoints with exponential backoff and jitter, and completes the future with a {@link KvClientException} if
 * the deadline passes. A future never stays open past its deadline.
 *
 * <p><b>Exactly-once writes.</b> Every write (put, delete, compare-and-set) carries a client session and a
 * sequence number; a retried write repeats them, and the cluster applies it once and answers retries with the
 * remembered result. So a write whose answer was lost can be retried safely, and a compare-and-set that
 * succeeded is never reported as failed because its own retry found the new value.
 *
 * <p><b>Leader.</b> Any node serves any request (followers forward writes and serve linearizable reads through
 * the leader's ReadIndex); the client prefers the node that last said it leads, which saves a hop, and asks the
 * nodes for their status when it connects and after errors.
 *
 * <p><b>Threads.</b> The client is thread-safe. Futures complete on the client's I/O thread unless a
 * {@link Builder#callbackExecutor callback executor} is set: callbacks must not block there, and the
 * {@linkplain #blocking() blocking API} refuses to run on it.
 */
public final class KvClient implements AutoCloseable {

    private final List<Endpoint> endpoints;
    private final Duration requestTimeout;
    private final Duration attemptTimeout;
    /** Default of {@link Builder#maxQueuedBytesPerConnection}: 8 MiB. */
    public static final int DEFAULT_MAX_QUEUED_BYTES_PER_CONNECTION = 8 << 20;

    private final int maxFrameBytes;
    private final Executor callbackExecutor;
    private final EventLoopGroup group;
    private final Cluster cluster;
    private final SessionPool sessions;
    private final Backoff backoff;
    private final BlockingKvClient blocking;
    private final Set<Call<?>> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private KvClient(Builder b) {
        this.endpoints = List.copyOf(b.endpoints);
        this.requestTimeout = b.requestTimeout;
        this.attemptTimeout = b.attemptTimeout != null ? b.attemptTimeout
                : Duration.ofMillis(Math.max(50, requestTimeout.toMillis() / 2));
        this.maxFrameBytes = b.maxFrameBytes;
        this.callbackExecutor = b.callbackExecutor;
        RandomGenerator random = b.random != null ? b.random : new SecureRandom();
        this.group = new MultiThreadIoEventLoopGroup(b.ioThreads, new DefaultThreadFactory("kv-client", true),
                NioIoHandler.newFactory());
        Endpoint first;
        synchronized (random) {
            // A random first choice spreads many clients over the nodes until they learn the leader.
            first = endpoints.get(random.nextInt(endpoints.size()));
        }
        Duration statusTimeout = requestTimeout.compareTo(Duration.ofSeconds(1)) < 0 ? requestTimeout
                : Duration.ofSeconds(1);
        this.cluster = new Cluster(endpoints, group, b.connectTimeout, statusTimeout, maxFrameBytes,
                b.maxQueuedBytesPerConnection, first);
        this.sessions = new SessionPool(b.maxSessions, SessionPool::randomClientId);
        this.backoff = new Backoff(b.initialBackoff.toMillis(), b.maxBackoff.toMillis(), random);
        this.blocking = new BlockingKvClient(this);
        // Connect and find the leader in the background; the first requests need not wait for it.
        cluster.discover();
    }

    /** A builder; {@link Builder#endpoints(String)} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The same operations, blocking until each completes and throwing {@link KvClientException}. */
    public BlockingKvClient blocking() {
        return blocking;
    }

    /** The endpoints this client talks to. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** The deadline of every request. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    // ------------------------------------------------------------------------------------------------ writes

    /** Sets {@code key} to {@code value}; completes with the new revision. */
    public CompletableFuture<Long> put(byte[] key, byte[] value) {
        return callback(doPut(key, value));
    }

    CompletableFuture<Long> doPut(byte[] key, byte[] value) {
        return write("put", ClientRequest.newBuilder().setPut(PutRequest.newBuilder()
                .setKey(bytes(key, "key")).setValue(bytes(value, "value"))), Responses::put);
    }

    /** {@link #put(byte[], byte[])} with UTF-8 strings. */
    public CompletableFuture<Long> put(String key, String value) {
        return put(utf8(key, "key"), utf8(value, "value"));
    }

    /** Deletes {@code key}; completes with whether it existed. */
    public CompletableFuture<DeleteResult> delete(byte[] key) {
        return callback(doDelete(key));
    }

    CompletableFuture<DeleteResult> doDelete(byte[] key) {
        return write("delete", ClientRequest.newBuilder().setDelete(DeleteRequest.newBuilder()
                .setKey(bytes(key, "key"))), Responses::delete);
    }

    /** {@link #delete(byte[])} with a UTF-8 key. */
    public CompletableFuture<DeleteResult> delete(String key) {
        return delete(utf8(key, "key"));
    }

    /**
     * Sets {@code key} to {@code value} only if it currently holds {@code expected}, or, with {@code expected}
     * null, only if it is absent.
     */
    public CompletableFuture<CasResult> compareAndSet(byte[] key, byte[] expected, byte[] value) {
        return callback(doCompareAndSet(key, expected, value));
    }

    CompletableFuture<CasResult> doCompareAndSet(byte[] key, byte[] expected, byte[] value) {
        CasRequest.Builder cas = CasRequest.newBuilder().setKey(bytes(key, "key")).setValue(bytes(value, "value"));
        if (expected == null) {
            cas.setExpectAbsent(true);
        } else {
            cas.setExpected(ByteString.copyFrom(expected));
        }
        return write("compare-and-set", ClientRequest.newBuilder().setCas(cas), Responses::cas);
    }

    /** {@link #compareAndSet(byte[], byte[], byte[])} with UTF-8 strings ({@code expected} null: absent). */
    public CompletableFuture<CasResult> compareAndSet(String key, String expected, String value) {
        return compareAndSet(utf8(key, "key"), expected == null ? null : expected.getBytes(StandardCharsets.UTF_8),
                utf8(value, "value"));
    }

    // ------------------------------------------------------------------------------------------------ reads

    /** The value of {@code key} with its revision, or empty if absent; linearizable. */
    public CompletableFuture<Optional<VersionedValue>> get(byte[] key) {
        return get(key, Consistency.LINEARIZABLE);
    }

    /** The value of {@code key} with its revision, or empty if absent, at {@code consistency}. */
    public CompletableFuture<Optional<VersionedValue>> get(byte[] key, Consistency consistency) {
        return callback(doGet(key, consistency));
    }

    CompletableFuture<Optional<VersionedValue>> doGet(byte[] key, Consistency consistency) {
        return read("get", ClientRequest.newBuilder().setGet(GetRequest.newBuilder().setKey(bytes(key, "key"))
                .setConsistency(Responses.consistency(Objects.requireNonNull(consistency, "consistency")))),
                Responses::get);
    }

    /** {@link #get(byte[])} with a UTF-8 key. */
    public CompletableFuture<Optional<VersionedValue>> get(String key) {
        return get(utf8(key, "key"));
    }

    /** {@link #get(byte[], Consistency)} with a UTF-8 key. */
    public CompletableFuture<Optional<VersionedValue>> get(String key, Consistency consistency) {
        return get(utf8(key, "key"), consistency);
    }

    /**
     * Up to {@code limit} keys in {@code [start, end)} in unsigned byte order ({@code end} null: no upper bound),
     * linearizable. Continue with {@link ScanPage#nextStart()} while {@link ScanPage#more()}.
     */
    public CompletableFuture<ScanPage> scan(byte[] start, byte[] end, int limit) {
        return scan(start, end, limit, Consistency.LINEARIZABLE);
    }

    /** {@link #scan(byte[], byte[], int)} at {@code consistency}. */
    public CompletableFuture<ScanPage> scan(byte[] start, byte[] end, int limit, Consistency consistency) {
        return callback(doScan(start, end, limit, consistency));
    }

    CompletableFuture<ScanPage> doScan(byte[] start, byte[] end, int limit, Consistency consistency) {
        if (limit < 1) {
            return CompletableFuture.failedFuture(new KvClientException(ErrorCode.BAD_REQUEST,
                    "limit must be positive, got " + limit));
        }
        ScanRequest.Builder scan = ScanRequest.newBuilder().setStart(bytes(start, "start")).setLimit(limit)
                .setConsistency(Responses.consistency(Objects.requireNonNull(consistency, "consistency")));
        if (end != null) {
            scan.setEnd(ByteString.copyFrom(end)).setHasEnd(true);
        }
        return read("scan", ClientRequest.newBuilder().setScan(scan), Responses::scan);
    }

    /** Up to {@code limit} keys starting with {@code prefix}, linearizable. */
    public CompletableFuture<ScanPage> scanPrefix(byte[] prefix, int limit) {
        return scanPrefix(prefix, limit, Consistency.LINEARIZABLE);
    }

    /** Up to {@code limit} keys starting with {@code prefix}, at {@code consistency}. */
    public CompletableFuture<ScanPage> scanPrefix(byte[] prefix, int limit, Consistency consistency) {
        Objects.requireNonNull(prefix, "prefix");
        return scan(prefix, prefixEnd(prefix), limit, consistency);
    }

    /** The future the caller gets: completed on the callback executor, if there is one. */
    private <T> CompletableFuture<T> callback(CompletableFuture<T> f) {
        return callbackExecutor == null ? f : f.whenCompleteAsync((r, e) -> { }, callbackExecutor);
    }

    /** {@link #scanPrefix(byte[], int)} with a UTF-8 prefix. */
    public CompletableFuture<ScanPage> scanPrefix(String prefix, int limit) {
        return scanPrefix(utf8(prefix, "prefix"), limit);
    }

    /** The smallest key above every key that starts with {@code prefix}, or null if there is none (all 0xFF). */
    static byte[] prefixEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return java.util.Arrays.copyOf(end, i + 1);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ status

    /** What the node at {@code endpoint} (one of this client's) says about itself; one attempt, no retries. */
    public CompletableFuture<NodeStatus> status(Endpoint endpoint) {
        return callback(doStatus(endpoint));
    }

    CompletableFuture<NodeStatus> doStatus(Endpoint endpoint) {
        if (closed) {
            return closedFuture();
        }
        return cluster.status(Objects.requireNonNull(endpoint, "endpoint")).handle((s, e) -> {
            if (e != null) {
                throw unwrap(e);
            }
            return s;
        });
    }

    /** {@link #status(Endpoint)} of {@code host:port}. */
    public CompletableFuture<NodeStatus> status(String endpoint) {
        return status(Endpoint.parse(endpoint));
    }

    /**
     * Asks the node at {@code endpoint} ({@code host:port}) to snapshot its state and compact its log (every node
     * does so on its own as its log grows; this is for operators and tests).
     */
    public CompletableFuture<SnapshotTaken> snapshot(String endpoint) {
        if (closed) {
            return closedFuture();
        }
        return callback(cluster.snapshot(Endpoint.parse(endpoint), Math.max(requestTimeout.toMillis(), 60_000)));
    }

    /** The status of every endpoint, asked in parallel; unreachable ones are listed as failures. */
    public CompletableFuture<ClusterStatus> clusterStatus() {
        return callback(doClusterStatus());
    }

    CompletableFuture<ClusterStatus> doClusterStatus() {
        if (closed) {
            return closedFuture();
        }
        Map<Endpoint, CompletableFuture<NodeStatus>> asks = new HashMap<>();
        for (Endpoint e : endpoints) {
            asks.put(e, cluster.status(e));
        }
        CompletableFuture<ClusterStatus> all = CompletableFuture.allOf(asks.values().toArray(new CompletableFuture<?>[0]))
                .handle((ignored, error) -> {
                    Map<Endpoint, NodeStatus> nodes = new HashMap<>();
                    Map<Endpoint, KvClientException> failures = new HashMap<>();
                    asks.forEach((e, f) -> f.handle((s, err) -> {
                        if (err == null) {
                            nodes.put(e, s);
                        } else {
                            failures.put(e, unwrap(err));
                        }
                        return null;
                    }).join()); // every future is complete here: join does not wait
                    return new ClusterStatus(nodes, failures);
                });
        return all;
    }

    // ------------------------------------------------------------------------------------------------ internals

    private <T> CompletableFuture<T> write(String what, ClientRequest.Builder op, Call.Decoder<T> decoder) {
        return execute(what, op, sessions, decoder);
    }

    private <T> CompletableFuture<T> read(String what, ClientRequest.Builder op, Call.Decoder<T> decoder) {
        return execute(what, op, null, decoder);
    }

    private <T> CompletableFuture<T> execute(String what, ClientRequest.Builder op, SessionPool sessionsOrNull,
                                             Call.Decoder<T> decoder) {
        if (closed) {
            return closedFuture();
        }
        op.setVersion(ClientProtocol.VERSION);
        Call<T> call = new Call<>(what, cluster, sessionsOrNull, backoff, op, decoder, requestTimeout, attemptTimeout,
                maxFrameBytes);
        open.add(call);
        call.result.whenComplete((r, e) -> open.remove(call));
        if (closed) {
            // close() may have run between the check above and open.add: it did not see this call.
            call.fail(new KvClientException(ErrorCode.CLOSED, "the client is closed"));
        } else {
            call.start();
        }
        return call.result;
    }

    private static <T> CompletableFuture<T> closedFuture() {
        return CompletableFuture.failedFuture(new KvClientException(ErrorCode.CLOSED, "the client is closed"));
    }

    static KvClientException unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException
                || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c instanceof KvClientException k ? k
                : new KvClientException(ErrorCode.INTERNAL, "unexpected failure: " + c, false, null, c);
    }

    /** Whether the calling thread is one of this client's I/O threads (blocking there would deadlock). */
    boolean onIoThread() {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    private static ByteString bytes(byte[] b, String what) {
        return ByteString.copyFrom(Objects.requireNonNull(b, what));
    }

    private static byte[] utf8(String s, String what) {
        return Objects.requireNonNull(s, what).getBytes(StandardCharsets.UTF_8);
    }

    /** Sessions created so far (for tests: the pool is bounded). */
    int sessionsCreated() {
        return sessions.created();
    }

    /** The endpoint requests go to first (for tests). */
    Endpoint preferredEndpoint() {
        return cluster.preferred();
    }

    /**
     * Fails every open request with {@link ErrorCode#CLOSED}, closes the connections and stops the I/O threads.
     * Writes in flight may still be applied.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sessions.close();
        for (Call<?> call : new ArrayList<>(open)) {
            call.abort("the client was closed before the request completed");
        }
        cluster.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Settings of a {@link KvClient}. */
    public static final class Builder {
        private List<Endpoint> endpoints;
        private Duration requestTimeout = Duration.ofSeconds(5);
        private Duration attemptTimeout;
        private Duration connectTimeout = Duration.ofSeconds(1);
        private Duration initialBackoff = Duration.ofMillis(20);
        private Duration maxBackoff = Duration.ofSeconds(1);
        private int maxSessions = 64;
        private int ioThreads = 1;
        private int maxFrameBytes = ClientProtocol.DEFAULT_MAX_FRAME_BYTES;
        private int maxQueuedBytesPerConnection = DEFAULT_MAX_QUEUED_BYTES_PER_CONNECTION;
        private RandomGenerator random;
        private Executor callbackExecutor;

        private Builder() {
        }

        /** The nodes' client-protocol addresses, as {@code host:port,host:port,...}. Required. */
        public Builder endpoints(String csv) {
            return endpoints(Endpoint.parseList(csv));
        }

        /** The nodes' client-protocol addresses. Required. */
        public Builder endpoints(List<Endpoint> list) {
            if (list.isEmpty()) {
                throw new IllegalArgumentException("at least one endpoint is needed");
            }
            this.endpoints = List.copyOf(new java.util.LinkedHashSet<>(list));
            return this;
        }

        /** The deadline of every request, retries included (default 5 s). */
        public Builder requestTimeout(Duration t) {
            this.requestTimeout = positive(t, "requestTimeout");
            return this;
        }

        /**
         * The most one attempt may take before the client tries elsewhere (default half the request timeout), so
         * that one stuck node cannot use up a request's whole deadline.
         */
        public Builder attemptTimeout(Duration t) {
            this.attemptTimeout = positive(t, "attemptTimeout");
            return this;
        }

        /** How long connecting to a node may take (default 1 s). */
        public Builder connectTimeout(Duration t) {
            this.connectTimeout = positive(t, "connectTimeout");
            return this;
        }

        /** The first and the largest pause between retries (defaults 20 ms and 1 s); jitter is added. */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive(initial, "initial backoff");
            this.maxBackoff = positive(max, "max backoff");
            if (maxBackoff.compareTo(initialBackoff) < 0 || initial.toMillis() < 1) {
                throw new IllegalArgumentException("backoff needs 1 ms <= initial <= max");
            }
            return this;
        }

        /**
         * Most client sessions, hence most writes in flight at once (default 64): a session carries one write at
         * a time. Further writes wait for a session within their deadline.
         */
        public Builder maxSessions(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxSessions must be >= 1, got " + n);
            }
            this.maxSessions = n;
            return this;
        }

        /** I/O threads (default 1, plenty for one client). */
        public Builder ioThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("ioThreads must be >= 1, got " + n);
            }
            this.ioThreads = n;
            return this;
        }

        /** Largest frame sent or accepted (default {@link ClientProtocol#DEFAULT_MAX_FRAME_BYTES}, as the server). */
        public Builder maxFrameBytes(int n) {
            if (n < 64) {
                throw new IllegalArgumentException("maxFrameBytes must be >= 64, got " + n);
            }
            this.maxFrameBytes = n;
            return this;
        }

        /**
         * Most request bytes waiting to be sent on one connection (default 8 MiB). A server reads a connection no
         * faster than it serves it, so under overload requests queue here; beyond this bound they are refused at
         * once, unsent, with {@link ErrorCode#OVERLOADED} (and retried with backoff within
         * their deadline) instead of filling this process's memory and then timing out unanswered.
         */
        public Builder maxQueuedBytesPerConnection(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxQueuedBytesPerConnection must be >= 1, got " + n);
            }
            this.maxQueuedBytesPerConnection = n;
            return this;
        }

        /**
         * The randomness behind retry jitter and the first endpoint tried (default a {@link SecureRandom}); tests
         * pass a seeded generator. Used only while holding its monitor, so any generator will do. Session ids never
         * come from it (they are random UUIDs): clients sharing a seed must not share sessions.
         */
        public Builder random(RandomGenerator r) {
            this.random = Objects.requireNonNull(r, "random");
            return this;
        }

        /** Where futures complete (default: the client's I/O thread, where callbacks must not block). */
        public Builder callbackExecutor(Executor e) {
            this.callbackExecutor = Objects.requireNonNull(e, "executor");
            return this;
        }

        /** Starts the client: connects to the nodes in the background. */
        public KvClient build() {
            if (endpoints == null) {
                throw new IllegalStateException("endpoints are required");
            }
            return new KvClient(this);
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }
    }
}
