package io.raftkv.kv.client;

import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The client's exactly-once sessions. The server remembers only the last write of each session, so a session
 * carries one write at a time: a write leases a session (with the next sequence number) for its whole life,
 * retries included, and returns it when done. Sessions are created on demand up to a bound; beyond it writes wait
 * for a session to come back (bounded by their own deadline).
 *
 * <p>A session is returned even when its write's outcome is unknown: the next write uses a higher sequence, and
 * the server refuses an older one, so a late copy of the unknown write can still apply at most once.
 */
final class SessionPool {

    /** A session, owned by at most one write at a time. */
    static final class Session {
        final String clientId;
        /** The last sequence number handed out; only the write holding the session touches it. */
        private long lastSequence;

        Session(String clientId) {
            this.clientId = clientId;
        }
    }

    /** The right to write once with {@code session} at {@code sequence}. */
    record Lease(Session session, long sequence) {
        String clientId() {
            return session.clientId;
        }
    }

    private final int maxSessions;
    private final Supplier<String> newClientId;
    private final ArrayDeque<Session> idle = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Lease>> waiters = new ArrayDeque<>();
    private int created;
    private boolean closed;

    /** {@code newClientId} names new sessions: 1 to 64 characters, never repeated by any client. */
    SessionPool(int maxSessions, Supplier<String> newClientId) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be >= 1, got " + maxSessions);
        }
        this.maxSessions = maxSessions;
        this.newClientId = newClientId;
    }

    /**
     * Session ids from a random UUID (a SecureRandom). Deliberately not from the client's injectable generator:
     * two clients built with the same seed would share sessions, and the server would answer one client's write
     * with the other's remembered result.
     */
    static String randomClientId() {
        return "kvc-" + UUID.randomUUID();
    }

    /** A lease now, or a future one once a session is returned; fails with CLOSED once the pool is closed. */
    CompletableFuture<Lease> acquire() {
        Session s;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new KvClientException(ErrorCode.CLOSED, "the client is closed"));
            }
            s = idle.pollFirst();
            if (s == null && created < maxSessions) {
                created++;
                s = new Session(newClientId.get());
            }
            if (s == null) {
                CompletableFuture<Lease> w = new CompletableFuture<>();
                waiters.addLast(w);
                return w;
            }
        }
        return CompletableFuture.completedFuture(lease(s));
    }

    /** Gives a waiter up (its write ended before it got a session). */
    synchronized void abandon(CompletableFuture<Lease> waiter) {
        waiters.remove(waiter);
    }

    /** Returns a session: to the oldest live waiter, else to the idle set. */
    void release(Session s) {
        while (true) {
            CompletableFuture<Lease> w;
            synchronized (this) {
                w = waiters.pollFirst();
                if (w == null) {
                    // Most recently used first: it is likeliest still known to the server (sessions expire).
                    idle.addFirst(s);
                    return;
                }
            }
            // Completed outside the lock: it starts the waiter's write. A waiter cancelled meanwhile refuses it.
            if (w.complete(lease(s))) {
                return;
            }
        }
    }

    /** Fails every waiter; later acquisitions fail too. */
    void close() {
        ArrayDeque<CompletableFuture<Lease>> failed;
        synchronized (this) {
            closed = true;
            failed = new ArrayDeque<>(waiters);
            waiters.clear();
        }
        failed.forEach(w -> w.completeExceptionally(new KvClientException(ErrorCode.CLOSED, "the client is closed")));
    }

    synchronized int created() {
        return created;
    }

    private static Lease lease(Session s) {
        return new Lease(s, ++s.lastSequence);
    }
}
