package io.raftkv.kv.client;

import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter: the n-th retry waits a random time in {@code [d/2, d]} where
 * {@code d = min(max, initial * 2^(n-1))}. The random half spreads clients that failed together (a leader
 * crash fails everybody at once) so they do not return in lockstep; the fixed half keeps the pause meaningful.
 */
final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final RandomGenerator random;

    /** {@code random} may be shared: it is only used while holding its monitor. */
    Backoff(long initialMillis, long maxMillis, RandomGenerator random) {
        if (initialMillis < 1 || maxMillis < initialMillis) {
            throw new IllegalArgumentException("backoff needs 1 <= initial <= max, got " + initialMillis + " and "
                    + maxMillis);
        }
        this.initialMillis = initialMillis;
        this.maxMillis = maxMillis;
        this.random = random;
    }

    /** The pause before retry number {@code retry} (from 1). */
    long delayMillis(int retry) {
        int doublings = Math.min(Math.max(0, retry - 1), 30);
        long ceiling = Math.min(maxMillis, initialMillis << doublings);
        long half = ceiling / 2;
        synchronized (random) {
            return ceiling - half + random.nextLong(half + 1);
        }
    }
}
