package io.raftkv.testkit.linearizability;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** The verdict on a history. A key found not linearizable outweighs keys whose check ran out of budget. */
public sealed interface CheckResult permits CheckResult.Linearizable, CheckResult.NotLinearizable, CheckResult.Unknown {

    /** What was checked and how much work it took. */
    Stats stats();

    /** One line for a log or a CLI, plus the explanation when not linearizable. */
    String summary();

    /** Every key's operations can be ordered. */
    record Linearizable(Stats stats) implements CheckResult {
        @Override
        public String summary() {
            return "linearizable: " + stats.describe();
        }
    }

    /**
     * At least one key cannot be ordered.
     *
     * @param key the first such key (in key order), the one explained
     * @param explanation operations on {@code key} that cannot be ordered
     * @param otherKeys other keys found not linearizable (not explained)
     */
    record NotLinearizable(String key, Explanation explanation, List<String> otherKeys, Stats stats)
            implements CheckResult {
        public NotLinearizable {
            otherKeys = List.copyOf(otherKeys);
        }

        @Override
        public String summary() {
            return "NOT linearizable on key \"" + key + "\""
                    + (otherKeys.isEmpty() ? "" : " (also on " + otherKeys.size() + " other keys: " + otherKeys + ")")
                    + ": " + stats.describe() + "\n" + explanation.text();
        }
    }

    /**
     * No key is known to be non-linearizable, but the search ran out of budget on at least one.
     *
     * @param key the first key (in key order) left undecided
     * @param reason which budget ran out
     * @param otherKeys other undecided keys
     */
    record Unknown(String key, String reason, List<String> otherKeys, Stats stats) implements CheckResult {
        public Unknown {
            otherKeys = List.copyOf(otherKeys);
        }

        @Override
        public String summary() {
            return "UNKNOWN on key \"" + key + "\": " + reason
                    + (otherKeys.isEmpty() ? "" : " (also undecided: " + otherKeys + ")") + "; " + stats.describe()
                    + " (raise the budget with CheckerOptions, or record fewer concurrent operations of unknown"
                    + " outcome per key)";
        }
    }

    /**
     * @param operations operations that happened or may have happened (ok + info)
     * @param ok operations that completed ok
     * @param info operations of unknown outcome (info or never completed)
     * @param failed failed operations, dropped
     * @param keys distinct keys
     * @param statesExplored search states remembered, summed over keys (not counting explanation shrinking)
     * @param elapsed wall-clock time of the check, shrinking included
     */
    record Stats(int operations, int ok, int info, int failed, int keys, long statesExplored, Duration elapsed) {
        /** A one-line description. */
        public String describe() {
            return String.format(Locale.ROOT,
                    "%d operations (%d ok, %d info) over %d keys, %d failed dropped; %d search states; %.3f s",
                    operations, ok, info, keys, failed, statesExplored, elapsed.toNanos() / 1e9);
        }
    }
}
