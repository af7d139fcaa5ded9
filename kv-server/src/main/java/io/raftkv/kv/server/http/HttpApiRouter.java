package io.raftkv.kv.server.http;

import io.raftkv.core.NodeId;
import io.raftkv.core.Status;
import io.raftkv.kv.server.metrics.NodeMetrics;
import io.raftkv.kv.server.service.Consistency;
import io.raftkv.kv.server.service.ErrorCode;
import io.raftkv.kv.server.service.KvException;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.service.RoleName;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps one HTTP request (method, target, body) to a future {@link ApiResponse}; knows nothing of Netty or
 * connections. Every failure, thrown or in the future, becomes a JSON error response here, so the connection
 * handler only ever sees responses.
 */
final class HttpApiRouter {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApiRouter.class);

    static final String KV_PREFIX = "/v1/kv/";
    static final String CAS_SUFFIX = "/cas";
    static final int DEFAULT_SCAN_LIMIT = 100;
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** Seconds a client should wait before retrying a 503. */
    static final String RETRY_AFTER_SECONDS = "1";
    /**
     * Extra time past the request timeout before the HTTP layer gives up on the service itself. KvService
     * promises to fail at its deadline; this is a backstop so a bug there can never pin a connection forever.
     */
    private static final Duration BACKSTOP_GRACE = Duration.ofSeconds(1);

    private static final Set<String> NO_PARAMS = Set.of();
    private static final Set<String> GET_PARAMS = Set.of("consistency");
    private static final Set<String> SCAN_PARAMS = Set.of("prefix", "start", "end", "limit", "consistency");

    private final KvService service;
    private final Duration timeout;
    private final Executor readExecutor;
    /** Null when fault injection is disabled: the fault endpoints then answer 403. */
    private final FaultControl faults;
    private final NodeMetrics metrics;
    private final ClusterEndpoints cluster;

    /**
     * @param service      the node's KV operations
     * @param timeout      how long one request may wait for a leader and quorum
     * @param readExecutor runs stale reads, which KvService serves synchronously from RocksDB on the calling
     *                     thread; that thread must not be an event loop
     */
    HttpApiRouter(KvService service, Duration timeout, Executor readExecutor, FaultControl faults,
                  NodeMetrics metrics) {
        this.service = service;
        this.metrics = metrics;
        this.timeout = timeout;
        this.readExecutor = readExecutor;
        this.faults = faults;
        this.cluster = new ClusterEndpoints(service.cluster(), timeout);
    }

    /** Routes a request; the future always completes normally, with an error response on failure. */
    CompletableFuture<ApiResponse> route(String method, String uri, byte[] body) {
        CompletableFuture<ApiResponse> result;
        try {
            result = dispatch(method, RequestTarget.parse(uri), body);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ApiResponse> handled = result.handle((r, e) -> e == null ? r : failure(e));
        // Adding a voter waits for it to catch up, up to its own timeout: the backstop must not cut it short.
        Duration backstop = uri.startsWith(ClusterEndpoints.PREFIX) ? ClusterEndpoints.MAX_TIMEOUT : timeout;
        return handled.completeOnTimeout(ApiResponse.error(503, ErrorCode.UNAVAILABLE.wireName(),
                        "the request did not complete within its timeout; retry later", null,
                        Map.of("Retry-After", RETRY_AFTER_SECONDS)),
                backstop.plus(BACKSTOP_GRACE).toMillis(), TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<ApiResponse> dispatch(String method, RequestTarget target, byte[] body) {
        String path = target.rawPath();
        if (path.equals("/v1/status")) {
            requireMethod(method, "GET");
            target.allowOnly(NO_PARAMS);
            return CompletableFuture.completedFuture(status());
        }
        if (path.equals("/metrics")) {
            requireMethod(method, "GET");
            target.allowOnly(NO_PARAMS);
            return CompletableFuture.completedFuture(new ApiResponse(200, PROMETHEUS_TEXT,
                    metrics.scrape().getBytes(StandardCharsets.UTF_8), Map.of()));
        }
        if (path.equals("/v1/admin/snapshot")) {
            requireMethod(method, "POST");
            target.allowOnly(NO_PARAMS);
            return service.takeSnapshot().thenApply(m -> ApiResponse.ok(new Json.SnapshotTaken(m.index(), m.term())));
        }
        if (path.equals("/v1/fault") || path.startsWith("/v1/fault/")) {
            target.allowOnly(NO_PARAMS);
            return CompletableFuture.completedFuture(fault(method, path.substring("/v1/fault".length()), body));
        }
        if (path.startsWith(ClusterEndpoints.PREFIX)) {
            target.allowOnly(NO_PARAMS);
            return cluster.handle(method, path, body);
        }
        if (path.equals("/v1/kv")) {
            requireMethod(method, "GET");
            target.allowOnly(SCAN_PARAMS);
            return scan(target.query());
        }
        if (!path.startsWith(KV_PREFIX)) {
            throw ApiException.notFound("no endpoint at " + abbreviate(path)
                    + "; see /v1/kv/{key}, /v1/kv?prefix=..., /v1/status, /v1/cluster/members, /v1/admin/snapshot, /metrics");
        }
        String rawKey = path.substring(KV_PREFIX.length());
        // Only POST has a sub-resource (cas); for every other method the whole remainder is the key, so
        // "GET /v1/kv/a/cas" reads the key "a/cas". Matching on the raw path means "%2Fcas" never matches.
        boolean casPath = rawKey.endsWith(CAS_SUFFIX);
        switch (method) {
            case "GET":
                target.allowOnly(GET_PARAMS);
                return get(key(rawKey), consistency(target.query()));
            case "PUT":
                target.allowOnly(NO_PARAMS);
                return put(key(rawKey), body);
            case "DELETE":
                target.allowOnly(NO_PARAMS);
                return delete(key(rawKey));
            case "POST":
                if (casPath) {
                    target.allowOnly(NO_PARAMS);
                    return cas(key(rawKey.substring(0, rawKey.length() - CAS_SUFFIX.length())), body);
                }
                throw ApiException.methodNotAllowed(method, "GET, PUT, DELETE");
            default:
                throw ApiException.methodNotAllowed(method, casPath ? "GET, PUT, DELETE, POST" : "GET, PUT, DELETE");
        }
    }

    // ------------------------------------------------------------------------------------------------ endpoints

    /** {@code /v1/fault[/action]}: see docs/http-api.md. */
    private ApiResponse fault(String method, String action, byte[] body) {
        if (faults == null) {
            return ApiResponse.error(403, "forbidden", "fault injection is disabled on this node; start it with "
                    + "--enable-fault-injection (for tests and demos only)", null, Map.of());
        }
        if (action.isEmpty()) {
            requireMethod(method, "DELETE");
            faults.heal();
            return ApiResponse.ok(Map.of("faults", faults.active()));
        }
        requireMethod(method, "POST");
        com.fasterxml.jackson.databind.JsonNode j = Json.parseObject(body);
        switch (action) {
            case "/isolate" -> faults.isolate(peers(j), direction(j.path("direction").asText("both")));
            case "/drop" -> faults.drop(percent(j, "percent"), peers(j));
            case "/delay" -> faults.delay(Duration.ofMillis(millis(j)), j.has("percent") ? percent(j, "percent") : 100);
            case "/slow-disk" -> faults.slowDisk(Duration.ofMillis(millis(j)));
            case "/pause" -> faults.pause(Duration.ofMillis(millis(j)));
            case "/crash" -> faults.crash();
            default -> throw ApiException.notFound("no fault '" + abbreviate(action.substring(1))
                    + "'; see isolate, drop, delay, slow-disk, pause, crash, and DELETE /v1/fault");
        }
        return ApiResponse.ok(Map.of("faults", faults.active()));
    }

    private static java.util.Set<String> peers(com.fasterxml.jackson.databind.JsonNode j) {
        java.util.Set<String> peers = new java.util.TreeSet<>();
        com.fasterxml.jackson.databind.JsonNode p = j.path("peers");
        if (!p.isMissingNode() && !p.isNull()) {
            if (!p.isArray()) {
                throw Json.badRequest("'peers' must be an array of node ids (empty or absent: every peer)");
            }
            p.forEach(n -> peers.add(n.asText()));
        }
        return peers;
    }

    private static FaultControl.Direction direction(String s) {
        try {
            return FaultControl.Direction.valueOf(s.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw Json.badRequest("'direction' must be inbound, outbound or both, not '" + abbreviate(s) + "'");
        }
    }

    private static int percent(com.fasterxml.jackson.databind.JsonNode j, String field) {
        com.fasterxml.jackson.databind.JsonNode n = j.path(field);
        if (!n.canConvertToInt() || n.asInt() < 0 || n.asInt() > 100) {
            throw Json.badRequest("'" + field + "' must be a whole number from 0 to 100");
        }
        return n.asInt();
    }

    private static long millis(com.fasterxml.jackson.databind.JsonNode j) {
        com.fasterxml.jackson.databind.JsonNode n = j.path("millis");
        if (!n.canConvertToLong() || n.asLong() < 0 || n.asLong() > 600_000) {
            throw Json.badRequest("'millis' must be a whole number from 0 to 600000");
        }
        return n.asLong();
    }

    private CompletableFuture<ApiResponse> put(byte[] key, byte[] value) {
        // No client session: a retried HTTP write may apply twice (documented; the Java client has sessions).
        return service.put(key, value, null, timeout).thenApply(r -> {
            KvResult.Written w = expect(r, KvResult.Written.class);
            return ApiResponse.ok(new Json.Revision(w.revision()));
        });
    }

    private CompletableFuture<ApiResponse> delete(byte[] key) {
        return service.delete(key, null, timeout).thenApply(r -> {
            KvResult.Deleted d = expect(r, KvResult.Deleted.class);
            return ApiResponse.ok(new Json.Deleted(d.existed()));
        });
    }

    private CompletableFuture<ApiResponse> cas(byte[] key, byte[] body) {
        Json.CasRequest req = Json.parseCas(body);
        return service.compareAndSet(key, req.expected(), req.value(), null, timeout).thenApply(r -> {
            KvResult.Swapped s = expect(r, KvResult.Swapped.class);
            return ApiResponse.ok(new Json.Swapped(s.succeeded(), s.revision()));
        });
    }

    private CompletableFuture<ApiResponse> get(byte[] key, Consistency consistency) {
        return read(consistency, () -> service.get(key, consistency, timeout)).thenApply(v -> {
            if (v == null) {
                throw ApiException.notFound("no such key");
            }
            return ApiResponse.raw(v.value(), Map.of("X-Revision", Long.toString(v.revision())));
        });
    }

    private CompletableFuture<ApiResponse> scan(Map<String, String> q) {
        boolean range = q.containsKey("start") || q.containsKey("end");
        if (range && q.containsKey("prefix")) {
            throw Json.badRequest("give either prefix or start/end, not both");
        }
        byte[] start;
        byte[] end;
        if (q.containsKey("prefix")) {
            start = Json.encodeUtf8(q.get("prefix"), "prefix");
            end = KvStateMachine.prefixEnd(start); // null (unbounded) for "" or all-0xFF prefixes
        } else {
            start = q.containsKey("start") ? Json.encodeUtf8(q.get("start"), "start") : new byte[0];
            end = q.containsKey("end") ? Json.encodeUtf8(q.get("end"), "end") : null;
        }
        int limit = limit(q.get("limit"));
        Consistency consistency = consistency(q);
        return read(consistency, () -> service.scan(start, end, limit, consistency, timeout)).thenApply(page -> {
            List<Json.ScanItem> items = new ArrayList<>(page.items().size());
            for (KvStateMachine.Item it : page.items()) {
                items.add(Json.scanItem(it.key(), it.value(), it.revision()));
            }
            return ApiResponse.ok(new Json.ScanPage(items, page.more()));
        });
    }

    private ApiResponse status() {
        Status s = service.status();
        List<Json.Member> members = new ArrayList<>();
        s.configuration().voters().forEach(v -> members.add(new Json.Member(v.value(), "voter")));
        s.configuration().learners().forEach(l -> members.add(new Json.Member(l.value(), "learner")));
        return ApiResponse.ok(new Json.Status(s.id().value(), RoleName.of(s.role()), s.term(),
                s.leader() == null ? null : s.leader().value(), s.commitIndex(), s.appliedIndex(), s.lastIndex(),
                s.snapshotIndex(), members, faults == null ? null : faults.active(), service.metrics()));
    }


    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * Starts a read. Stale reads complete synchronously inside KvService (a RocksDB get or scan), so they run on
     * the read executor rather than on the event loop; other reads only enqueue a read barrier here.
     */
    private <T> CompletableFuture<T> read(Consistency consistency, Supplier<CompletableFuture<T>> call) {
        if (consistency != Consistency.STALE) {
            return call.get();
        }
        try {
            return CompletableFuture.supplyAsync(call, readExecutor).thenCompose(f -> f);
        } catch (RejectedExecutionException e) {
            throw new KvException(ErrorCode.OVERLOADED, "too many stale reads are queued; retry later");
        }
    }

    private static byte[] key(String rawKey) {
        byte[] key = RequestTarget.decodePath(rawKey, "key");
        if (Json.decodeUtf8OrNull(key) == null) {
            throw Json.badRequest("the key is not UTF-8 once percent-decoded");
        }
        return key; // emptiness and length are KvLimits' to judge, so HTTP and the client agree
    }

    private static Consistency consistency(Map<String, String> q) {
        String c = q.get("consistency");
        return c == null ? Consistency.LINEARIZABLE : Consistency.parse(c);
    }

    private int limit(String s) {
        int max = service.limits().maxScanLimit();
        if (s == null) {
            return Math.min(DEFAULT_SCAN_LIMIT, max);
        }
        // Digits only: Integer.parseInt would also take "+5", and a huge number must not overflow into range.
        if (s.isEmpty() || s.length() > 9 || !s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw Json.badRequest("limit must be a whole number from 1 to " + max + ", not '" + abbreviate(s) + "'");
        }
        int n = Integer.parseInt(s);
        if (n < 1 || n > max) {
            throw Json.badRequest("limit must be from 1 to " + max + ", got " + n);
        }
        return n;
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw ApiException.methodNotAllowed(method, allowed);
        }
    }

    private static <T extends KvResult> T expect(KvResult r, Class<T> type) {
        if (!type.isInstance(r)) {
            throw new IllegalStateException("expected " + type.getSimpleName() + " from the store, got " + r);
        }
        return type.cast(r);
    }

    /** Turns any failure into its error response: only an unexpected exception is a 500. */
    ApiResponse failure(Throwable error) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException a) {
            return a.toResponse();
        }
        if (t instanceof io.raftkv.server.RaftException.MembershipChangeRefused r) {
            return ClusterEndpoints.refusal(r);
        }
        if (t instanceof KvException k) {
            String leader = k.leaderHint() == null ? knownLeaderOtherThanSelf() : k.leaderHint().value();
            ApiResponse r = ApiResponse.error(k.code().httpStatus(), k.code().wireName(), k.getMessage(),
                    k.code().httpStatus() == 503 ? leader : null, Map.of());
            if (k.code() == ErrorCode.INTERNAL) {
                LOG.error("internal error serving an HTTP request: {}", k.getMessage(), k);
            }
            return k.code().httpStatus() == 503 ? r.withHeader("Retry-After", RETRY_AFTER_SECONDS) : r;
        }
        LOG.error("bug: unexpected failure serving an HTTP request", t);
        return ApiResponse.error(500, ErrorCode.INTERNAL.wireName(),
                "internal error (" + t.getClass().getSimpleName() + "); see the server log", null, Map.of());
    }

    /** A leader this node knows of, for a 503 that did not name one (null if none, or if it is this node). */
    private String knownLeaderOtherThanSelf() {
        try {
            Status s = service.status();
            NodeId leader = s.leader();
            return leader == null || leader.equals(s.id()) ? null : leader.value();
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "...";
    }
}
