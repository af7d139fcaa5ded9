package io.raftkv.kv.client;

import io.netty.util.concurrent.ScheduledFuture;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.api.proto.ClientRequest;
import io.raftkv.kv.api.proto.ClientResponse;
import io.raftkv.kv.api.proto.Error;
import io.raftkv.kv.api.proto.Session;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request from the caller's point of view: attempts at one endpoint after another until an answer that is
 * not worth retrying, or the deadline.
 *
 * <p>Retried: connection failures (could not connect, connection lost, no answer in time), UNAVAILABLE,
 * NOT_LEADER and OVERLOADED. Retries back off exponentially with jitter (at least the server's
 * {@code retry_after_millis}), except a redirect to a leader a node named, which goes at once. A write holds one
 * session lease for its whole life, so every attempt carries the same session and sequence and the server applies
 * it at most once. Whatever happens, {@link #result} completes by the deadline: a timer fails it then.
 *
 * <p>State is guarded by {@code this}; the result is completed outside the lock, so callers' callbacks never run
 * while it is held.
 */
final class Call<T> {

    private static final Logger LOG = LoggerFactory.getLogger(Call.class);

    /** How long past the timeout sent to the server this side waits before treating an attempt as unanswered. */
    static final long ANSWER_GRACE_MILLIS = 200;
    /** Redirects to a named leader that skip the backoff, per call: a bound in case two nodes name each other. */
    private static final int FREE_REDIRECTS = 3;
    /** Room for the fields set per attempt (id, timeout) when checking a request against the frame limit. */
    private static final int PER_ATTEMPT_BYTES = 32;

    /** Turns a response into the caller's value, or throws {@link KvClientException}. */
    interface Decoder<T> {
        T decode(Endpoint from, ClientResponse response);
    }

    private final String what;
    private final Cluster cluster;
    private final SessionPool sessions;
    private final Backoff backoff;
    private final ClientRequest.Builder request;
    private final boolean write;
    private final Decoder<T> decoder;
    private final Duration timeout;
    private final long deadlineNanos;
    private final long attemptTimeoutMillis;
    private final int maxFrameBytes;

    /** The caller's future. */
    final CompletableFuture<T> result = new CompletableFuture<>();

    // Guarded by this.
    private int attempts;
    private int retries;
    private int redirects;
    private KvClientException lastError;
    /** A write attempt may have been applied (its answer was lost, or the server said so). */
    private boolean ambiguous;
    private boolean leased;
    private CompletableFuture<SessionPool.Lease> sessionWait;
    private ScheduledFuture<?> deadlineTimer;

    /**
     * @param request  the operation, with version set; writes get their session here
     * @param sessions the session pool, for writes (null for reads)
     */
    Call(String what, Cluster cluster, SessionPool sessions, Backoff backoff, ClientRequest.Builder request,
         Decoder<T> decoder, Duration timeout, Duration attemptTimeout, int maxFrameBytes) {
        this.what = what;
        this.cluster = cluster;
        this.sessions = sessions;
        this.backoff = backoff;
        this.request = request;
        this.write = sessions != null;
        this.decoder = decoder;
        this.timeout = timeout;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        this.attemptTimeoutMillis = Math.max(1, attemptTimeout.toMillis());
        this.maxFrameBytes = maxFrameBytes;
    }

    void start() {
        result.whenComplete((r, e) -> finished());
        try {
            ScheduledFuture<?> timer = cluster.scheduler().schedule(this::giveUp, timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
            synchronized (this) {
                deadlineTimer = timer;
            }
        } catch (RejectedExecutionException e) {
            fail(new KvClientException(ErrorCode.CLOSED, "the client is closed"));
            return;
        }
        // Checked here because the server would close the connection on an oversized frame (failing every
        // request on it); a session adds at most ~80 bytes.
        int size;
        synchronized (this) {
            size = request.build().getSerializedSize() + ClientProtocol.LENGTH_PREFIX_BYTES + PER_ATTEMPT_BYTES
                    + (write ? 80 : 0);
        }
        if (size > maxFrameBytes) {
            fail(new KvClientException(ErrorCode.TOO_LARGE, "the " + what + " request would be about " + size
                    + " bytes, over the frame limit of " + maxFrameBytes));
            return;
        }
        if (!write) {
            attempt(cluster.preferred());
            return;
        }
        CompletableFuture<SessionPool.Lease> wait = sessions.acquire();
        boolean alreadyDone;
        synchronized (this) {
            alreadyDone = result.isDone();
            if (!alreadyDone) {
                sessionWait = wait;
            }
        }
        if (alreadyDone) {
            // Outside the lock: giving a session back may start another call's write.
            giveBack(wait);
            return;
        }
        wait.whenComplete((lease, e) -> {
            if (e != null) {
                fail(e instanceof KvClientException k ? k : new KvClientException(ErrorCode.INTERNAL,
                        "acquiring a session failed: " + e, false, null, e));
                return;
            }
            synchronized (this) {
                if (result.isDone()) {
                    return; // finished() gives the lease back
                }
                leased = true;
                request.setSession(Session.newBuilder().setClientId(lease.clientId()).setSequence(lease.sequence()));
            }
            attempt(cluster.preferred());
        });
    }

    private void attempt(Endpoint e) {
        ClientRequest.Builder req;
        long serverTimeoutMillis;
        synchronized (this) {
            if (result.isDone()) {
                return;
            }
            long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (remainingMillis <= 0) {
                req = null;
                serverTimeoutMillis = 0;
            } else {
                serverTimeoutMillis = Math.min(remainingMillis, attemptTimeoutMillis);
                attempts++;
                req = request.clone().setTimeoutMillis((int) Math.min(Integer.MAX_VALUE, serverTimeoutMillis));
            }
        }
        if (req == null) {
            giveUp();
            return;
        }
        cluster.connection(e).send(req, serverTimeoutMillis + ANSWER_GRACE_MILLIS)
                .whenComplete((resp, err) -> answered(e, resp, err));
    }

    private void answered(Endpoint e, ClientResponse resp, Throwable err) {
        Runnable then;
        synchronized (this) {
            if (result.isDone()) {
                return;
            }
            then = decide(e, resp, err);
        }
        then.run();
    }

    /** What to do after an attempt at {@code e}; runs under the lock, so it only decides. */
    private Runnable decide(Endpoint e, ClientResponse resp, Throwable err) {
        if (err != null) {
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (!(cause instanceof ConnectionFailure cf)) {
                KvClientException k = new KvClientException(ErrorCode.INTERNAL, what + " failed: " + cause,
                        write && ambiguous, null, cause);
                return () -> fail(k);
            }
            ambiguous |= write && cf.maybeDelivered();
            lastError = new KvClientException(ErrorCode.UNAVAILABLE, cf.getMessage(), write && ambiguous, null, null);
            return retry(cluster.failedAt(e), 0);
        }
        if (!resp.hasError()) {
            try {
                T value = decoder.decode(e, resp);
                return () -> result.complete(value);
            } catch (KvClientException k) {
                return () -> fail(k);
            }
        }
        Error error = resp.getError();
        ErrorCode code = Responses.code(error.getCode());
        ambiguous |= write && error.getOutcomeUnknown();
        lastError = new KvClientException(code, e + ": " + error.getMessage(), write && ambiguous,
                error.getLeaderId(), null);
        switch (code) {
            case NOT_LEADER: {
                Endpoint leader = cluster.leaderNamed(error.getLeaderId());
                if (leader != null && !leader.equals(e) && redirects < FREE_REDIRECTS) {
                    redirects++;
                    return () -> attempt(leader);
                }
                return retry(leader != null ? leader : cluster.failedAt(e), error.getRetryAfterMillis());
            }
            case UNAVAILABLE: {
                Endpoint leader = cluster.leaderNamed(error.getLeaderId());
                return retry(leader != null && !leader.equals(e) ? leader : cluster.failedAt(e),
                        error.getRetryAfterMillis());
            }
            case OVERLOADED:
                return retry(e, error.getRetryAfterMillis());
            default: {
                // BAD_REQUEST and TOO_LARGE judge the request itself, which every attempt carried unchanged: none
                // of them was applied. Anything else (INTERNAL) is final but leaves the outcome as it was.
                boolean unknown = write && ambiguous && code != ErrorCode.BAD_REQUEST && code != ErrorCode.TOO_LARGE;
                KvClientException k = new KvClientException(code, e + ": " + error.getMessage(), unknown,
                        error.getLeaderId(), null);
                return () -> fail(k);
            }
        }
    }

    /** Retries at {@code next} after the backoff (at least {@code minDelayMillis}), or gives up at the deadline. */
    private Runnable retry(Endpoint next, long minDelayMillis) {
        retries++;
        long delay = Math.max(minDelayMillis, backoff.delayMillis(retries));
        long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (remainingMillis <= 1) {
            return this::giveUp;
        }
        // Near the deadline, one last attempt halfway through the remaining time beats giving up early.
        long pause = Math.min(delay, remainingMillis / 2);
        LOG.debug("{}: retry {} at {} in {} ms after: {}", what, retries, next, pause, lastError.getMessage());
        return () -> {
            try {
                cluster.scheduler().schedule(() -> attempt(next), pause, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                fail(new KvClientException(ErrorCode.CLOSED, "the client is closed", write && ambiguous, null, null));
            }
        };
    }

    /** The deadline passed (or nothing more can be tried in time): fail with the last error seen. */
    private void giveUp() {
        KvClientException k;
        synchronized (this) {
            if (result.isDone()) {
                return;
            }
            if (write && !leased) {
                k = new KvClientException(ErrorCode.OVERLOADED, "the " + what + " waited " + timeout.toMillis()
                        + " ms for a client session: this client has as many writes in flight as it has sessions");
            } else {
                ErrorCode code = lastError == null || lastError.code() == ErrorCode.NOT_LEADER ? ErrorCode.UNAVAILABLE
                        : lastError.code();
                String last = lastError == null ? "no answer yet" : "last error: " + lastError.getMessage();
                k = new KvClientException(code, "the " + what + " did not succeed within " + timeout.toMillis()
                        + " ms (" + attempts + " attempts; " + last + ")", write && ambiguous,
                        lastError == null ? null : lastError.leaderId().orElse(null), lastError);
            }
        }
        fail(k);
    }

    /** Fails the call (if still open), e.g. because the client closed. */
    void fail(KvClientException k) {
        result.completeExceptionally(k);
    }

    /** Fails the call with CLOSED; a write already sent has an unknown outcome. */
    void abort(String why) {
        boolean unknown;
        synchronized (this) {
            unknown = write && attempts > 0;
        }
        fail(new KvClientException(ErrorCode.CLOSED, why, unknown, null, null));
    }

    private void finished() {
        ScheduledFuture<?> timer;
        CompletableFuture<SessionPool.Lease> wait;
        synchronized (this) {
            timer = deadlineTimer;
            wait = sessionWait;
            deadlineTimer = null;
            sessionWait = null;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        if (wait != null) {
            giveBack(wait);
        }
    }

    /** Returns the session this call got, or stops waiting for one. */
    private void giveBack(CompletableFuture<SessionPool.Lease> wait) {
        if (wait.cancel(false)) {
            sessions.abandon(wait);
            return;
        }
        if (!wait.isCompletedExceptionally()) {
            // Returned even if the outcome is unknown: see SessionPool.
            sessions.release(wait.join().session());
        }
    }
}
