package io.raftkv.bench.load;

/**
 * When each operation is meant to start, which is also where its latency is counted from.
 *
 * <p>In a closed loop an operation is meant to start when its client sends it. In an open loop operation
 * number {@code n} (all clients together) is meant to start at {@code origin + n / rate}, whether or not a client
 * is free then: if the system stalls, the operations that should have started meanwhile start late, and their
 * latency counts from when they should have started. Timing from the actual send instead would hide the stall
 * behind the few operations in flight during it ("coordinated omission").
 */
public sealed interface Pacing permits Pacing.ClosedLoop, Pacing.OpenLoop {

    /**
     * The intended start of operation {@code sequence}, claimed by a client at {@code nowNanos}. The client waits
     * until then if it is in the future.
     */
    long intendedStart(long sequence, long nowNanos);

    /** The latency to record: from the intended start to the completion. */
    default long latency(long intendedStartNanos, long completedNanos) {
        return Math.max(0, completedNanos - intendedStartNanos);
    }

    /** The pacing {@code shape} asks for, with an open loop's schedule starting at {@code originNanos}. */
    static Pacing of(LoadShape shape, long originNanos) {
        return shape.openLoop() ? new OpenLoop(originNanos, shape.ratePerSecond()) : new ClosedLoop();
    }

    /** Each operation starts when its client is free. */
    record ClosedLoop() implements Pacing {
        @Override
        public long intendedStart(long sequence, long nowNanos) {
            return nowNanos;
        }
    }

    /** Operation {@code n} starts at {@code originNanos + n × 10⁹ / ratePerSecond}. */
    record OpenLoop(long originNanos, double ratePerSecond) implements Pacing {
        public OpenLoop {
            if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
                throw new IllegalArgumentException("an open loop needs a positive rate, got " + ratePerSecond);
            }
        }

        @Override
        public long intendedStart(long sequence, long nowNanos) {
            return originNanos + Math.round(sequence * 1e9 / ratePerSecond);
        }
    }
}
