package io.raftkv.bench.load;

import io.raftkv.bench.load.MeasurementWindow.Phase;
import io.raftkv.bench.load.target.TargetConnection;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One benchmark client: at most one operation in flight; the next one is claimed when the previous completed,
 * and sent at once (closed loop) or at its intended start (open loop). Runs on whatever thread completed the
 * previous operation, or on the pacer's thread when it had to wait; never blocks.
 */
final class ClientLoop {

    /** Closer than this to its intended start, an operation is sent at once rather than scheduled. */
    private static final long SCHEDULE_THRESHOLD_NANOS = 20_000;

    private final TargetConnection connection;
    private final Workload workload;
    private final KeyPicker keys;
    private final byte[] value;
    private final SplittableRandom mix;
    private final Pacing pacing;
    private final MeasurementWindow window;
    private final AtomicLong sequence;
    private final Measurements measurements;
    private final ScheduledExecutorService pacer;
    private final LongSupplier clock;
    private final Runnable onDone;

    ClientLoop(TargetConnection connection, Workload workload, KeyPicker keys, byte[] value, long seed,
               Pacing pacing, MeasurementWindow window, AtomicLong sequence, Measurements measurements,
               ScheduledExecutorService pacer, LongSupplier clock, Runnable onDone) {
        this.connection = connection;
        this.workload = workload;
        this.keys = keys;
        this.value = value;
        this.mix = new SplittableRandom(seed);
        this.pacing = pacing;
        this.window = window;
        this.sequence = sequence;
        this.measurements = measurements;
        this.pacer = pacer;
        this.clock = clock;
        this.onDone = onDone;
    }

    /** Claims and starts operations until one is pending, or the window is over (then calls {@code onDone}). */
    void next() {
        while (true) {
            long now = clock.getAsLong();
            long intended = pacing.intendedStart(sequence.getAndIncrement(), now);
            Phase phase = window.claim(intended);
            if (phase == Phase.DONE) {
                onDone.run();
                return;
            }
            long wait = intended - now;
            if (wait > SCHEDULE_THRESHOLD_NANOS) {
                try {
                    pacer.schedule(() -> {
                        if (send(intended, phase)) {
                            next();
                        }
                    }, wait, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException stopped) {
                    onDone.run(); // the run was abandoned
                }
                return;
            }
            if (!send(intended, phase)) {
                return;
            }
            // It completed at once (typically a failure): go on here rather than recursing through callbacks.
        }
    }

    /**
     * Sends one operation. Returns true if it completed at once; otherwise its completion records it and calls
     * {@link #next()}.
     */
    private boolean send(long intended, Phase phase) {
        boolean read = workload.readRatio() >= 1 || workload.readRatio() > 0 && mix.nextDouble() < workload.readRatio();
        byte[] key = workload.keys().key(keys.next());
        CompletableFuture<?> f = start(read, key);
        if (f.isDone()) {
            record(f, read, intended, phase);
            return true;
        }
        f.whenComplete((r, e) -> {
            record(f, read, intended, phase);
            next();
        });
        return false;
    }

    /** The operation's future; a client library that throws instead of failing the future counts the same. */
    private CompletableFuture<?> start(boolean read, byte[] key) {
        try {
            return read ? connection.get(key, workload.consistency()) : connection.put(key, value);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void record(CompletableFuture<?> f, boolean read, long intended, Phase phase) {
        long done = clock.getAsLong();
        boolean measured = phase == Phase.MEASURED;
        if (f.isCompletedExceptionally()) {
            Throwable failure = f.handle((r, e) -> e).join();
            measurements.failure(connection.errorKind(failure), done, measured);
        } else {
            measurements.success(read, pacing.latency(intended, done), done, measured);
        }
    }
}
