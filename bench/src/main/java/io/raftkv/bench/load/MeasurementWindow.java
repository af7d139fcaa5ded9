package io.raftkv.bench.load;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Which operations are measured: those meant to start (see {@link Pacing}) from the end of the warm-up until the
 * end of the measured time, or, when a number of operations is asked for, that many from the end of the warm-up.
 * Operations meant to start before are warm-up; after, none start. Thread-safe.
 */
final class MeasurementWindow {

    /** What an operation is, by its intended start. */
    enum Phase {
        WARMUP, MEASURED, DONE
    }

    private final long startNanos;
    private final long endNanos;
    private final long maxOperations;
    private final AtomicLong measured = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param startNanos    end of the warm-up
     * @param endNanos      end of the measured time ({@link Long#MAX_VALUE} when counting operations)
     * @param maxOperations how many operations to measure at most ({@link Long#MAX_VALUE}: no limit)
     */
    MeasurementWindow(long startNanos, long endNanos, long maxOperations) {
        this.startNanos = startNanos;
        this.endNanos = endNanos;
        this.maxOperations = maxOperations;
    }

    /** The window a load shape asks for, with the warm-up starting at {@code originNanos}. */
    static MeasurementWindow of(LoadShape shape, long originNanos) {
        long start = originNanos + shape.warmup().toNanos();
        return shape.operations() > 0 ? new MeasurementWindow(start, Long.MAX_VALUE, shape.operations())
                : new MeasurementWindow(start, start + shape.duration().toNanos(), Long.MAX_VALUE);
    }

    /** Classifies, and for a measured operation counts, the operation meant to start at {@code intendedStart}. */
    Phase claim(long intendedStartNanos) {
        if (closed) {
            return Phase.DONE;
        }
        if (intendedStartNanos - startNanos < 0) {
            return Phase.WARMUP;
        }
        if (endNanos != Long.MAX_VALUE && intendedStartNanos - endNanos >= 0) {
            return Phase.DONE;
        }
        if (measured.get() >= maxOperations || measured.incrementAndGet() > maxOperations) {
            return Phase.DONE;
        }
        return Phase.MEASURED;
    }

    /** Ends the window early: every later claim is {@link Phase#DONE} (the run gave up waiting). */
    void close() {
        closed = true;
    }

    /** Where measuring starts. */
    long startNanos() {
        return startNanos;
    }
}
