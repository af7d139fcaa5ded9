package io.raftkv.kv.server.protocol;

import com.google.protobuf.ByteString;
import io.raftkv.core.NodeId;
import io.raftkv.core.Status;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.api.proto.CasResponse;
import io.raftkv.kv.api.proto.ClientRequest;
import io.raftkv.kv.api.proto.ClientResponse;
import io.raftkv.kv.api.proto.DeleteResponse;
import io.raftkv.kv.api.proto.Error;
import io.raftkv.kv.api.proto.GetResponse;
import io.raftkv.kv.api.proto.KeyValue;
import io.raftkv.kv.api.proto.Member;
import io.raftkv.kv.api.proto.PutResponse;
import io.raftkv.kv.api.proto.ScanRequest;
import io.raftkv.kv.api.proto.ScanResponse;
import io.raftkv.kv.api.proto.SnapshotResponse;
import io.raftkv.kv.api.proto.StatusResponse;
import io.raftkv.kv.server.service.Consistency;
import io.raftkv.kv.server.service.ErrorCode;
import io.raftkv.kv.server.service.KvException;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.service.RoleName;
import io.raftkv.kv.server.store.ClientSession;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one decoded {@link ClientRequest} into a future {@link ClientResponse}: validates it, calls the
 * {@link KvService} and maps results and failures to protocol messages. Knows nothing of Netty or connections,
 * and its future always completes normally (every failure becomes an {@link Error} response), so the connection
 * handler only ever sees responses.
 */
final class RequestDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(RequestDispatcher.class);

    /** Items a scan returns when the request leaves {@code limit} at 0. */
    static final int DEFAULT_SCAN_LIMIT = 100;
    /**
     * Extra time past a request's timeout before the dispatcher answers on its own. KvService promises to fail
     * at its deadline; this backstop only guarantees that a bug there can never leave a request unanswered.
     */
    private static final long BACKSTOP_GRACE_MILLIS = 1000;

    private final KvService service;
    private final ClientProtocolServer.Options options;

    RequestDispatcher(KvService service, ClientProtocolServer.Options options) {
        this.service = service;
        this.options = options;
    }

    /** Serves {@code request}; the future always completes normally, with an error response on failure. */
    CompletableFuture<ClientResponse> dispatch(ClientRequest request) {
        long id = request.getId();
        boolean write = isWrite(request);
        Duration timeout = timeout(request);
        CompletableFuture<ClientResponse> started;
        try {
            started = route(request, timeout);
        } catch (RuntimeException e) {
            // Thrown here (the protocol's own checks) or by the service before anything reached the log: the
            // outcome is known.
            return CompletableFuture.completedFuture(failure(id, e, false));
        }
        return started
                .orTimeout(timeout.toMillis() + BACKSTOP_GRACE_MILLIS, TimeUnit.MILLISECONDS)
                .handle((r, e) -> {
                    if (e == null) {
                        return r;
                    }
                    if (e instanceof TimeoutException) {
                        return error(id, ErrorCode.UNAVAILABLE, "the request did not complete within its timeout;"
                                + " retry later", write, null);
                    }
                    return failure(id, e, write);
                });
    }

    /** A BAD_REQUEST response to {@code id} (for requests the connection refuses before dispatching). */
    ClientResponse badRequest(long id, String message) {
        return error(id, ErrorCode.BAD_REQUEST, message, false, null);
    }

    /** An OVERLOADED response to {@code id}. */
    ClientResponse overloaded(long id, String message) {
        return error(id, ErrorCode.OVERLOADED, message, false, null);
    }

    /** A TOO_LARGE response to {@code id} (a response that would not fit in a frame). */
    ClientResponse tooLarge(long id, String message) {
        return error(id, ErrorCode.TOO_LARGE, message, false, null);
    }

    // ------------------------------------------------------------------------------------------------ routing

    private CompletableFuture<ClientResponse> route(ClientRequest req, Duration timeout) {
        if (req.getVersion() != ClientProtocol.VERSION) {
            throw bad(req.getVersion() == 0
                    ? "the request has no protocol version; set version to " + ClientProtocol.VERSION
                    : "protocol version " + req.getVersion() + " is not supported; this server speaks version "
                    + ClientProtocol.VERSION);
        }
        long id = req.getId();
        switch (req.getOpCase()) {
            case PUT: {
                byte[] key = key(req.getPut().getKey());
                return service.put(key, req.getPut().getValue().toByteArray(), session(req), timeout)
                        .thenApply(r -> ClientResponse.newBuilder().setId(id).setPut(PutResponse.newBuilder()
                                .setRevision(expect(r, KvResult.Written.class).revision())).build());
            }
            case DELETE: {
                byte[] key = key(req.getDelete().getKey());
                return service.delete(key, session(req), timeout).thenApply(r -> {
                    KvResult.Deleted d = expect(r, KvResult.Deleted.class);
                    return ClientResponse.newBuilder().setId(id).setDelete(DeleteResponse.newBuilder()
                            .setDeleted(d.existed()).setRevision(d.revision())).build();
                });
            }
            case CAS: {
                byte[] key = key(req.getCas().getKey());
                byte[] expected = req.getCas().getExpectAbsent() ? null : req.getCas().getExpected().toByteArray();
                return service.compareAndSet(key, expected, req.getCas().getValue().toByteArray(), session(req),
                        timeout).thenApply(r -> {
                            KvResult.Swapped s = expect(r, KvResult.Swapped.class);
                            return ClientResponse.newBuilder().setId(id).setCas(CasResponse.newBuilder()
                                    .setSucceeded(s.succeeded()).setRevision(s.revision())).build();
                        });
            }
            case GET: {
                byte[] key = key(req.getGet().getKey());
                Consistency consistency = consistency(req.getGet().getConsistencyValue());
                return service.get(key, consistency, timeout).thenApply(v -> {
                    GetResponse.Builder g = GetResponse.newBuilder().setFound(v != null);
                    if (v != null) {
                        g.setValue(ByteString.copyFrom(v.value())).setRevision(v.revision());
                    }
                    return ClientResponse.newBuilder().setId(id).setGet(g).build();
                });
            }
            case SCAN:
                return scan(id, req.getScan(), timeout);
            case STATUS:
                return CompletableFuture.completedFuture(ClientResponse.newBuilder().setId(id).setStatus(status())
                        .build());
            case SNAPSHOT:
                return service.takeSnapshot().thenApply(m -> ClientResponse.newBuilder().setId(id)
                        .setSnapshot(SnapshotResponse.newBuilder().setIndex(m.index()).setTerm(m.term())).build());
            case OP_NOT_SET:
            default:
                // OP_NOT_SET also covers an op from a newer protocol revision: its field is unknown here.
                throw bad("the request has no operation (put, get, delete, cas, scan, status or snapshot)");
        }
    }

    private CompletableFuture<ClientResponse> scan(long id, ScanRequest s, Duration timeout) {
        byte[] start = s.getStart().toByteArray();
        byte[] end = s.getHasEnd() ? s.getEnd().toByteArray() : null;
        int limit = s.getLimit() == 0 ? Math.min(DEFAULT_SCAN_LIMIT, service.limits().maxScanLimit())
                : s.getLimit() < 0 ? Integer.MAX_VALUE : s.getLimit(); // uint32 above 2^31 reads negative
        Consistency consistency = consistency(s.getConsistencyValue());
        return service.scan(start, end, limit, consistency, timeout).thenApply(page -> {
            ScanResponse.Builder out = ScanResponse.newBuilder().setMore(page.more());
            for (KvStateMachine.Item it : page.items()) {
                out.addItems(KeyValue.newBuilder().setKey(ByteString.copyFrom(it.key()))
                        .setValue(ByteString.copyFrom(it.value())).setRevision(it.revision()));
            }
            return ClientResponse.newBuilder().setId(id).setScan(out).build();
        });
    }

    private StatusResponse status() {
        Status s = service.status();
        StatusResponse.Builder b = StatusResponse.newBuilder()
                .setId(s.id().value())
                .setRole(RoleName.of(s.role()))
                .setTerm(s.term())
                .setLeader(s.leader() == null ? "" : s.leader().value())
                .setCommitIndex(s.commitIndex())
                .setAppliedIndex(s.appliedIndex())
                .setLastIndex(s.lastIndex())
                .setSnapshotIndex(s.snapshotIndex());
        s.configuration().voters().stream().sorted()
                .forEach(v -> b.addMembers(Member.newBuilder().setId(v.value()).setRole("voter")));
        s.configuration().learners().stream().sorted()
                .forEach(l -> b.addMembers(Member.newBuilder().setId(l.value()).setRole("learner")));
        return b.build();
    }


    // ------------------------------------------------------------------------------------------------ helpers

    private static boolean isWrite(ClientRequest req) {
        return switch (req.getOpCase()) {
            case PUT, DELETE, CAS -> true;
            default -> false;
        };
    }

    private Duration timeout(ClientRequest req) {
        long requested = Integer.toUnsignedLong(req.getTimeoutMillis());
        if (requested == 0) {
            return options.requestTimeout();
        }
        return Duration.ofMillis(Math.min(requested, options.maxRequestTimeout().toMillis()));
    }

    private static byte[] key(ByteString key) {
        if (key.isEmpty()) {
            // KvLimits would say "the key is empty" too; saying it here names the protocol field.
            throw bad("the request has no key");
        }
        return key.toByteArray();
    }

    private static ClientSession session(ClientRequest req) {
        if (!req.hasSession()) {
            return null;
        }
        try {
            return new ClientSession(req.getSession().getClientId(), req.getSession().getSequence());
        } catch (IllegalArgumentException e) {
            throw bad("invalid session: " + e.getMessage());
        }
    }

    private static Consistency consistency(int wireValue) {
        io.raftkv.kv.api.proto.Consistency c = io.raftkv.kv.api.proto.Consistency.forNumber(wireValue);
        if (c == null) {
            throw bad("unknown consistency " + wireValue + "; use LINEARIZABLE, LEASE or STALE");
        }
        return switch (c) {
            case LINEARIZABLE -> Consistency.LINEARIZABLE;
            case LEASE -> Consistency.LEASE;
            case STALE -> Consistency.STALE;
            case UNRECOGNIZED -> throw bad("unknown consistency " + wireValue);
        };
    }

    private static KvException bad(String message) {
        return new KvException(ErrorCode.BAD_REQUEST, message);
    }

    private static <T extends KvResult> T expect(KvResult r, Class<T> type) {
        if (!type.isInstance(r)) {
            throw new IllegalStateException("expected " + type.getSimpleName() + " from the store, got " + r);
        }
        return type.cast(r);
    }

    // ------------------------------------------------------------------------------------------------ errors

    /**
     * Maps a failure to its error response.
     *
     * @param accepted true when the service accepted a write (returned a future) before it failed: the write may
     *                 then have reached the log
     */
    ClientResponse failure(long id, Throwable error, boolean accepted) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof KvException k) {
            if (k.code() == ErrorCode.INTERNAL) {
                LOG.error("internal error serving a client request: {}", k.getMessage(), k);
            }
            return error(id, k.code(), k.getMessage(), accepted && outcomeUnknown(k), k.leaderHint());
        }
        if (t instanceof RejectedExecutionException) {
            // The service's read executor (or scheduler) is saturated or shutting down.
            return error(id, ErrorCode.OVERLOADED, "the server cannot take more work right now; retry after a pause",
                    accepted, null);
        }
        LOG.error("bug: unexpected failure serving a client request", t);
        return error(id, ErrorCode.INTERNAL, "internal error (" + t.getClass().getSimpleName() + "); see the server log",
                accepted, null);
    }

    /**
     * Whether a write the service accepted and then failed may have been applied. Only refusals about the request
     * itself (BAD_REQUEST: for example a session sequence older than the last one applied; TOO_LARGE) are
     * definite. Every other failure is reported as unknown, even NOT_LEADER or OVERLOADED: KvService retries
     * inside the deadline, and the failure it finally reports says nothing about an earlier attempt that may have
     * reached the log before leadership changed. (KvException has no flag for this; deriving it from the
     * message, "may or may not have been applied", would miss those earlier attempts.)
     */
    private static boolean outcomeUnknown(KvException k) {
        return k.code() != ErrorCode.BAD_REQUEST && k.code() != ErrorCode.TOO_LARGE;
    }

    private ClientResponse error(long id, ErrorCode code, String message, boolean outcomeUnknown, NodeId leaderHint) {
        Error.Builder e = Error.newBuilder()
                .setCode(toProto(code))
                .setMessage(message == null ? code.wireName() : message)
                .setOutcomeUnknown(outcomeUnknown);
        if (code == ErrorCode.UNAVAILABLE || code == ErrorCode.NOT_LEADER || code == ErrorCode.OVERLOADED) {
            NodeId leader = leaderHint != null ? leaderHint : knownLeaderOtherThanSelf();
            if (leader != null) {
                e.setLeaderId(leader.value());
            }
            // Told where the leader is, a client can go there at once; otherwise it should give the cluster time.
            boolean redirect = code == ErrorCode.NOT_LEADER && leader != null;
            e.setRetryAfterMillis(redirect ? 0 : (int) options.retryAfter().toMillis());
        }
        return ClientResponse.newBuilder().setId(id).setError(e).build();
    }

    static io.raftkv.kv.api.proto.ErrorCode toProto(ErrorCode code) {
        return switch (code) {
            case BAD_REQUEST -> io.raftkv.kv.api.proto.ErrorCode.BAD_REQUEST;
            case TOO_LARGE -> io.raftkv.kv.api.proto.ErrorCode.TOO_LARGE;
            case UNAVAILABLE -> io.raftkv.kv.api.proto.ErrorCode.UNAVAILABLE;
            case NOT_LEADER -> io.raftkv.kv.api.proto.ErrorCode.NOT_LEADER;
            case OVERLOADED -> io.raftkv.kv.api.proto.ErrorCode.OVERLOADED;
            case INTERNAL -> io.raftkv.kv.api.proto.ErrorCode.INTERNAL;
        };
    }

    /** A leader this node knows of, for an error that did not name one (null if none, or if it is this node). */
    private NodeId knownLeaderOtherThanSelf() {
        try {
            Status s = service.status();
            NodeId leader = s.leader();
            return leader == null || leader.equals(s.id()) ? null : leader;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
