package io.raftkv.bench.load;

import java.io.PrintStream;

/** Prints one line a second while a cell runs: phase, throughput, latency, errors of the last second. */
final class ProgressLine implements ProgressListener {

    private final PrintStream out;
    private final String label;

    /**
     * @param out   where to print (stderr, so that stdout stays clean for JSON)
     * @param label what runs, e.g. "raftkv 1.put-c64-leader"
     */
    ProgressLine(PrintStream out, String label) {
        this.out = out;
        this.label = label;
    }

    @Override
    public void interval(double elapsedSeconds, boolean measuring, long successes, long errors,
                         LatencySummary latency) {
        out.printf("  [%s] %5.0fs %-7s %,9d ops/s  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  errors %,d%n", label,
                elapsedSeconds, measuring ? "measure" : "warmup", successes, latency.p50(), latency.p99(),
                latency.max(), errors);
    }
}
