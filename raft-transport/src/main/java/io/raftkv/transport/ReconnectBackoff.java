package io.raftkv.transport;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * Delays between reconnection attempts: exponential from {@code min} to {@code max}, with jitter so that the
 * nodes of a cluster that lost a peer at the same moment do not all dial it in lock-step.
 *
 * <p>Attempt {@code n} (from 0) waits a uniformly random time in {@code [max(min, d/2), d]} where
 * {@code d = min(max, min * 2^n)} ("equal jitter": never shorter than half the nominal delay, so a flapping
 * peer is not hammered). The randomness is injected so tests and simulations are reproducible.
 */
final class ReconnectBackoff {

    private final long minNanos;
    private final long maxNanos;
    private final Random random;

    /**
     * @param random shared by the I/O threads; {@link Random} is thread-safe
     */
    ReconnectBackoff(Duration min, Duration max, Random random) {
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.random = Objects.requireNonNull(random, "random");
        if (minNanos <= 0 || maxNanos < minNanos) {
            throw new IllegalArgumentException("need 0 < min <= max, got " + min + " and " + max);
        }
    }

    /** The delay before attempt {@code attempt} (0 for the first retry after a failure). */
    Duration delay(int attempt) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt must be >= 0, got " + attempt);
        }
        // Double until the cap; the shift is bounded so it cannot overflow.
        long nominal = minNanos;
        for (int i = 0; i < attempt && nominal < maxNanos; i++) {
            nominal = Math.min(maxNanos, nominal * 2);
        }
        long low = Math.max(minNanos, nominal / 2);
        long jitter = nominal > low ? (long) (random.nextDouble() * (nominal - low + 1)) : 0;
        return Duration.ofNanos(Math.min(nominal, low + jitter));
    }
}
