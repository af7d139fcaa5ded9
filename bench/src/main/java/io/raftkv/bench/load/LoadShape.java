package io.raftkv.bench.load;

import java.time.Duration;
import java.util.Objects;

/**
 * How hard and how long the clients push.
 *
 * @param clients       concurrent clients, each with at most one operation in flight
 * @param connections   client connections (client instances) the clients share; 0 means one per member used
 * @param ratePerSecond the target rate of the open loop, all clients together; 0 means a closed loop (each
 *                      client starts its next operation when the previous one completed)
 * @param warmup        time run before measuring, not recorded
 * @param duration      the measured time (ignored when {@code operations} is set)
 * @param operations    measure exactly this many operations instead of a duration; 0 means by duration
 */
public record LoadShape(int clients, int connections, double ratePerSecond, Duration warmup, Duration duration,
                        long operations) {

    /** More clients than this is surely a typo; each costs little, but a million would not. */
    public static final int MAX_CLIENTS = 100_000;

    public LoadShape {
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(duration, "duration");
        if (clients < 1 || clients > MAX_CLIENTS) {
            throw new IllegalArgumentException("--clients must be 1 to " + MAX_CLIENTS + ", got " + clients);
        }
        if (connections < 0 || connections > clients) {
            throw new IllegalArgumentException("--conns must be 0 (one per member used) to the number of clients ("
                    + clients + "), got " + connections);
        }
        if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("--rate must be 0 (closed loop) or a positive number of operations "
                    + "per second, got " + ratePerSecond);
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("--warmup-seconds must not be negative, got " + warmup);
        }
        if (operations < 0) {
            throw new IllegalArgumentException("--operations must be 0 (run for --duration-seconds) or positive, got "
                    + operations);
        }
        if (operations == 0 && (duration.isNegative() || duration.isZero())) {
            throw new IllegalArgumentException("--duration-seconds must be positive, got " + duration);
        }
    }

    /** Whether operations start on a schedule (open loop) rather than when the previous one completed. */
    public boolean openLoop() {
        return ratePerSecond > 0;
    }
}
