package io.raftkv.bench.load;

import io.raftkv.bench.load.local.MachineLimits;
import java.util.List;

/**
 * Everything one {@code raftkv bench} session measured.
 *
 * @param startedAt   when the session started (ISO-8601)
 * @param cores       available processors
 * @param java        the JVM running the load generator
 * @param limits      the machine's raw limits, measured when the session started its own clusters; else null
 * @param results     every cell against every target, in the order run
 * @param comparisons raftkv against etcd per cell, when both ran
 */
public record BenchReport(String startedAt, int cores, String java, MachineLimits limits, List<CellResult> results,
                          List<Comparison> comparisons) {

    public BenchReport {
        results = List.copyOf(results);
        comparisons = List.copyOf(comparisons);
    }

    /** Whether any cell saw a leader change (then its figures are not to be trusted, and the exit status says so). */
    public boolean leaderChanged() {
        return results.stream().anyMatch(CellResult::leaderChanged);
    }
}
