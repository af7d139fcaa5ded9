package io.raftkv.bench.load;

import java.util.Map;

/**
 * What a run measured.
 *
 * @param seconds    from the end of the warm-up until the last measured operation completed
 * @param puts       measured successful puts
 * @param gets       measured successful gets
 * @param errors     measured failures by kind; {@code NO_ANSWER} counts operations still open when the run gave
 *                   up waiting for them
 * @param latency    latencies of the measured successful operations
 */
public record RunOutcome(double seconds, long puts, long gets, Map<String, Long> errors, LatencySummary latency) {

    public RunOutcome {
        errors = Map.copyOf(errors);
    }

    /** Successful operations. */
    public long operations() {
        return puts + gets;
    }

    /** Failed operations. */
    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Successful operations per second. */
    public double throughput() {
        return seconds > 0 ? operations() / seconds : 0;
    }
}
