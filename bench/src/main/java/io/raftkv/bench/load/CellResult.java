package io.raftkv.bench.load;

import java.util.Objects;

/**
 * One cell run against one target.
 *
 * @param target  "raftkv" or "etcd"
 * @param cell    what was run
 * @param outcome what the clients measured (null if the cell could not run)
 * @param before  leader and term before the measured load
 * @param after   leader and term after it
 * @param server  the server side's view (null if the cell could not run)
 * @param failure why the cell could not run, or null
 */
public record CellResult(String target, Cell cell, RunOutcome outcome, LeaderObservation before,
                         LeaderObservation after, ServerView server, String failure) {

    public CellResult {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(cell, "cell");
    }

    /** A cell that could not run. */
    public static CellResult failed(String target, Cell cell, String why) {
        return new CellResult(target, cell, null, null, null, null, why);
    }

    /** Whether the leader or its term changed during the cell (or the cell did not run, so nobody knows). */
    public boolean leaderChanged() {
        return before != null && after != null && !before.equals(after);
    }

    /** Whether the cell ran. */
    public boolean ran() {
        return failure == null;
    }

    /** Megabytes (10⁶ bytes) of values written per second. */
    public double megabytesPerSecond() {
        return outcome == null || outcome.seconds() <= 0 ? 0
                : outcome.puts() * (double) cell.workload().valueBytes() / outcome.seconds() / 1e6;
    }
}
