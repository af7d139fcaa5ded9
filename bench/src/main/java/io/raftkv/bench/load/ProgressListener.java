package io.raftkv.bench.load;

/** Told once a second how a run is going. */
@FunctionalInterface
public interface ProgressListener {

    /** Ignores progress. */
    ProgressListener NONE = (elapsed, measuring, successes, errors, latency) -> { };

    /**
     * @param elapsedSeconds seconds since the run started, warm-up included
     * @param measuring      false during the warm-up
     * @param successes      operations that succeeded in the last interval
     * @param errors         operations that failed in it
     * @param latency        their latencies
     */
    void interval(double elapsedSeconds, boolean measuring, long successes, long errors, LatencySummary latency);
}
