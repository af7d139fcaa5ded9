package io.raftkv.bench.load;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one run recorded. Clients record from any thread without locks (HdrHistogram's {@link Recorder}, adders);
 * one reporting thread takes the interval figures for the progress line and accumulates the measured total.
 *
 * <p>Every completed operation goes into the progress figures, warm-up included; only measured ones into the
 * result.
 */
final class Measurements {

    /** Three significant digits: percentiles to 0.1%. Histograms grow as needed. */
    private static final int DIGITS = 3;

    private final Recorder measured = new Recorder(DIGITS);
    private final Recorder progress = new Recorder(DIGITS);
    private final Histogram total = new Histogram(DIGITS);
    private final LongAdder puts = new LongAdder();
    private final LongAdder gets = new LongAdder();
    private final LongAdder intervalErrors = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final AtomicLong lastMeasuredCompletion = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder completed = new LongAdder();

    /** A successful operation; {@code measured} if it counts for the result. */
    void success(boolean read, long latencyNanos, long completedNanos, boolean measured) {
        completed.increment();
        progress.recordValue(latencyNanos);
        if (measured) {
            this.measured.recordValue(latencyNanos);
            (read ? gets : puts).increment();
            lastMeasuredCompletion.accumulateAndGet(completedNanos, Math::max);
        }
    }

    /** A failed operation, counted under {@code kind}. */
    void failure(String kind, long completedNanos, boolean measured) {
        completed.increment();
        intervalErrors.increment();
        if (measured) {
            errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
            lastMeasuredCompletion.accumulateAndGet(completedNanos, Math::max);
        }
    }

    /** The figures since the previous call, for the progress line; also folds measured latencies into the total. */
    synchronized Interval interval() {
        Histogram h = progress.getIntervalHistogram();
        total.add(measured.getIntervalHistogram());
        return new Interval(h.getTotalCount(), intervalErrors.sumThenReset(), LatencySummary.of(h));
    }

    /** The latencies of every measured successful operation so far. */
    synchronized LatencySummary total() {
        total.add(measured.getIntervalHistogram());
        return LatencySummary.of(total);
    }

    /** Operations completed so far, warm-up and failures included: shows whether a run still makes progress. */
    long completed() {
        return completed.sum();
    }

    long puts() {
        return puts.sum();
    }

    long gets() {
        return gets.sum();
    }

    /** Measured failures by kind, sorted by kind. */
    Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** When the last measured operation completed, or {@link Long#MIN_VALUE} if none did. */
    long lastMeasuredCompletionNanos() {
        return lastMeasuredCompletion.get();
    }

    /**
     * One progress interval.
     *
     * @param successes operations that succeeded in it, warm-up included
     * @param errors    operations that failed in it
     * @param latency   their latencies
     */
    record Interval(long successes, long errors, LatencySummary latency) {
    }
}
