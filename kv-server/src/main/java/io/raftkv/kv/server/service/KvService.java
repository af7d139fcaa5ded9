package io.raftkv.kv.server.service;

import io.raftkv.core.Status;
import io.raftkv.kv.server.store.ClientSession;
import io.raftkv.kv.server.store.KvCommand;
import io.raftkv.kv.server.store.KvCommandCodec;
import io.raftkv.kv.server.store.KvOperation;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import io.raftkv.server.RaftException;
import io.raftkv.server.RaftServer;
import io.raftkv.server.SnapshotCounters;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The key-value operations of one node, shared by the client protocol and the HTTP API: validates requests
 * against the limits before they reach the log, tags writes with the leader's clock, serves reads at the
 * requested consistency, and retries within the request's deadline while there is no leader. A request never
 * hangs: past its deadline it fails with {@link ErrorCode#UNAVAILABLE}.
 */
public final class KvService {

    private static final long FIRST_BACKOFF_MILLIS = 20;
    private static final long MAX_BACKOFF_MILLIS = 400;

    private final RaftServer<KvResult> raft;
    private final KvStateMachine store;
    private final KvLimits limits;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Executor readExecutor;
    private final ClusterAdmin cluster;

    /**
     * @param scheduler    runs retries after their backoff
     * @param readExecutor runs the local reads once a read barrier passes: never the Raft loop thread (which
     *                     completes barriers) nor an I/O event loop, since a large scan takes time
     */
    public KvService(RaftServer<KvResult> raft, KvStateMachine store, KvLimits limits, Clock clock,
                     ScheduledExecutorService scheduler, Executor readExecutor) {
        this(raft, store, limits, clock, scheduler, readExecutor, null);
    }

    /** As above, for a node of cluster {@code clusterId} (reported by {@link #cluster()}). */
    public KvService(RaftServer<KvResult> raft, KvStateMachine store, KvLimits limits, Clock clock,
                     ScheduledExecutorService scheduler, Executor readExecutor, String clusterId) {
        this.cluster = new ClusterAdmin(raft, clusterId);
        this.raft = raft;
        this.store = store;
        this.limits = limits;
        this.clock = clock;
        this.scheduler = scheduler;
        this.readExecutor = readExecutor;
    }

    /** Runs a request, turning a synchronous validation failure into a failed future: one way to fail. */
    private static <T> CompletableFuture<T> guarded(Supplier<CompletableFuture<T>> request) {
        try {
            return request.get();
        } catch (KvException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Membership changes and leadership transfer. */
    public ClusterAdmin cluster() {
        return cluster;
    }

    /** The limits requests are checked against. */
    public KvLimits limits() {
        return limits;
    }

    // ------------------------------------------------------------------------------------------------ writes

    /** Sets {@code key}; completes with {@link KvResult.Written}. */
    public CompletableFuture<KvResult> put(byte[] key, byte[] value, ClientSession session, Duration timeout) {
        return guarded(() -> {
            limits.checkKey(key);
            limits.checkValue(value);
            return write(new KvOperation.Put(key, value), session, timeout);
        });
    }

    /** Deletes {@code key}; completes with {@link KvResult.Deleted}. */
    public CompletableFuture<KvResult> delete(byte[] key, ClientSession session, Duration timeout) {
        return guarded(() -> {
            limits.checkKey(key);
            return write(new KvOperation.Delete(key), session, timeout);
        });
    }

    /** Compare-and-set ({@code expected} null: only if absent); completes with {@link KvResult.Swapped}. */
    public CompletableFuture<KvResult> compareAndSet(byte[] key, byte[] expected, byte[] value,
                                                     ClientSession session, Duration timeout) {
        return guarded(() -> {
            limits.checkKey(key);
            limits.checkValue(value);
            if (expected != null) {
                limits.checkValue(expected);
            }
            return write(new KvOperation.CompareAndSet(key, expected, value), session, timeout);
        });
    }

    private CompletableFuture<KvResult> write(KvOperation op, ClientSession session, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return retrying(() -> raft.propose(KvCommandCodec.encode(new KvCommand(session, clock.millis(), op))),
                deadline, session != null, "write").thenApply(r -> {
                    if (r instanceof KvResult.Rejected rej) {
                        throw new KvException(ErrorCode.BAD_REQUEST, rej.reason());
                    }
                    return r;
                });
    }

    // ------------------------------------------------------------------------------------------------ reads

    /** The value and revision of {@code key}, or null if absent, at {@code consistency}. */
    public CompletableFuture<KvStateMachine.Versioned> get(byte[] key, Consistency consistency, Duration timeout) {
        return guarded(() -> {
            limits.checkKey(key);
            return readThen(consistency, timeout).thenApplyAsync(ignored -> store.get(key), readExecutor);
        });
    }

    /** Keys in {@code [start, end)} ({@code end} null: unbounded), at most {@code limit}, at {@code consistency}. */
    public CompletableFuture<KvStateMachine.ScanPage> scan(byte[] start, byte[] end, int limit,
                                                           Consistency consistency, Duration timeout) {
        return guarded(() -> scanChecked(start, end, limit, consistency, timeout));
    }

    private CompletableFuture<KvStateMachine.ScanPage> scanChecked(byte[] start, byte[] end, int limit,
                                                                   Consistency consistency, Duration timeout) {
        if (limit < 1 || limit > limits.maxScanLimit()) {
            throw new KvException(ErrorCode.BAD_REQUEST, "limit must be 1 to " + limits.maxScanLimit() + ", got "
                    + limit);
        }
        if (start.length > limits.maxKeyBytes() || (end != null && end.length > limits.maxKeyBytes())) {
            throw new KvException(ErrorCode.TOO_LARGE, "scan bounds are limited to " + limits.maxKeyBytes()
                    + " bytes");
        }
        return readThen(consistency, timeout).thenApplyAsync(ignored -> store.scan(start, end, limit), readExecutor);
    }

    private CompletableFuture<Long> readThen(Consistency consistency, Duration timeout) {
        if (consistency == Consistency.STALE) {
            return CompletableFuture.completedFuture(store.appliedIndex());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        return retrying(consistency == Consistency.LEASE ? raft::leaseReadBarrier : raft::readBarrier, deadline,
                true, "read");
    }

    // ------------------------------------------------------------------------------------------------ status

    /** The node's Raft state and the store's applied index. */
    public Status status() {
        return raft.status();
    }

    /**
     * The node's counters by group (storage, replication, commit, loop, read, apply, snapshot, store, jvm), each a
     * total since the process started except the JVM's heap figures, which are current.
     */
    public Map<String, Map<String, Long>> metrics() {
        Map<String, Map<String, Long>> m = new LinkedHashMap<>(raft.counters().byGroup());
        SnapshotCounters sc = raft.snapshotCounters();
        m.put("snapshot", Map.of("taken", sc.taken(), "installed", sc.installed(), "sent", sc.sent(),
                "sendFailures", sc.sendFailures(), "chunksReceived", sc.chunksReceived(),
                "chunksRefused", sc.chunksRefused(), "transfersResumed", sc.transfersResumed()));
        m.put("store", Map.of("operationsApplied", store.operationsApplied()));
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        m.put("jvm", Map.of("heapUsedBytes", heap.getUsed(), "heapCommittedBytes", heap.getCommitted(),
                "heapMaxBytes", heap.getMax()));
        return m;
    }

    /** Snapshots this node's state and compacts its log; completes with what the snapshot covers. */
    public CompletableFuture<io.raftkv.core.SnapshotMeta> takeSnapshot() {
        return raft.takeSnapshot();
    }

    /** Operations the store applied since it opened (retries answered from sessions excluded). */
    public long operationsApplied() {
        return store.operationsApplied();
    }

    /** Index of the last command the store applied. */
    public long appliedIndex() {
        return store.appliedIndex();
    }

    // ------------------------------------------------------------------------------------------------ retries

    /**
     * Runs {@code attempt}, retrying with backoff while the cluster has no leader (and, if {@code retrySafe},
     * after a leadership change that left the outcome unknown) until {@code deadlineNanos}.
     */
    private <T> CompletableFuture<T> retrying(Supplier<CompletableFuture<T>> attempt, long deadlineNanos,
                                              boolean retrySafe, String what) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attemptOnce(attempt, deadlineNanos, retrySafe, what, FIRST_BACKOFF_MILLIS, result);
        return result;
    }

    private <T> void attemptOnce(Supplier<CompletableFuture<T>> attempt, long deadlineNanos, boolean retrySafe,
                                 String what, long backoffMillis, CompletableFuture<T> result) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            result.completeExceptionally(new KvException(ErrorCode.UNAVAILABLE, "no leader could serve the " + what
                    + " within its timeout; retry later"));
            return;
        }
        attempt.get().orTimeout(remaining, TimeUnit.NANOSECONDS).whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            boolean retry = false;
            KvException failure;
            if (cause instanceof RaftException.NotLeader nl) {
                retry = nl.leaderHint() == null;
                failure = nl.leaderHint() == null
                        ? new KvException(ErrorCode.UNAVAILABLE, "no leader was elected within the " + what
                        + "'s timeout; retry later")
                        : new KvException(ErrorCode.NOT_LEADER, "this node is not the leader; the leader is "
                        + nl.leaderHint(), nl.leaderHint());
            } else if (cause instanceof RaftException.LeadershipChanged lc) {
                retry = retrySafe || lc.notApplied(); // an entry replaced by another was certainly not applied
                failure = new KvException(ErrorCode.UNAVAILABLE, "leadership changed during the " + what
                        + "; it may or may not have been applied" + (retrySafe ? "" : " (use a session to retry safely)"));
            } else if (cause instanceof RaftException.Overloaded o) {
                // Not retried here: holding the request while backing off would keep its bytes in this node's
                // memory, the very thing the refusal protects. The client backs off and retries.
                failure = new KvException(ErrorCode.OVERLOADED, o.getMessage() + "; retry later");
            } else if (cause instanceof RaftException.Stopped s) {
                failure = new KvException(ErrorCode.UNAVAILABLE, "this node is stopped: " + s.getMessage());
            } else if (cause instanceof TimeoutException) {
                failure = new KvException(ErrorCode.UNAVAILABLE, "the " + what + " timed out"
                        + (what.equals("write") ? "; it may or may not have been applied" : "") + "; retry later");
            } else if (cause instanceof KvException k) {
                failure = k;
            } else {
                failure = new KvException(ErrorCode.INTERNAL, what + " failed: " + cause);
            }
            if (retry && deadlineNanos - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(backoffMillis)) {
                scheduler.schedule(() -> attemptOnce(attempt, deadlineNanos, retrySafe, what,
                        Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2), result), backoffMillis, TimeUnit.MILLISECONDS);
            } else {
                result.completeExceptionally(failure);
            }
        });
    }
}
