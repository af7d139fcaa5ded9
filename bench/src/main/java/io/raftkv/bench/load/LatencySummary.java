package io.raftkv.bench.load;

import org.HdrHistogram.Histogram;

/**
 * Latency percentiles of successful operations, in milliseconds.
 *
 * @param count the operations behind it
 * @param mean  mean
 * @param p50   median
 * @param p90   90th percentile
 * @param p99   99th percentile
 * @param p999  99.9th percentile
 * @param max   the slowest
 */
public record LatencySummary(long count, double mean, double p50, double p90, double p99, double p999, double max) {

    /** No operations: all zero. */
    public static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0, 0);

    /** The summary of a histogram of nanoseconds. */
    public static LatencySummary of(Histogram nanos) {
        if (nanos.getTotalCount() == 0) {
            return EMPTY;
        }
        return new LatencySummary(nanos.getTotalCount(), nanos.getMean() / 1e6, ms(nanos, 50), ms(nanos, 90),
                ms(nanos, 99), ms(nanos, 99.9), nanos.getMaxValue() / 1e6);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1e6;
    }
}
