package io.raftkv.testkit.linearizability;

import java.time.Duration;
import java.util.Objects;

/**
 * Budgets of a check. The search can take exponential time on adversarial histories (many concurrent operations
 * of unknown outcome on one key), so it always runs under a budget and answers "unknown" when it runs out.
 *
 * @param maxStatesPerKey the most distinct search states remembered for one key (each costs memory: roughly 100
 *     bytes plus one bit per concurrently open operation); default 2,000,000
 * @param timeLimit wall-clock limit for the whole check (all keys); default 5 minutes
 * @param parallelism how many keys are checked at once; default the number of processors
 * @param explainMaxStatesPerCheck the state budget of each trial search while shrinking an explanation; default
 *     200,000
 * @param explainTimeLimit wall-clock limit for shrinking an explanation; when it runs out the explanation is
 *     reported as found so far (still a set of operations that cannot be ordered, maybe not minimal); default 20 s
 */
public record CheckerOptions(
        long maxStatesPerKey,
        Duration timeLimit,
        int parallelism,
        long explainMaxStatesPerCheck,
        Duration explainTimeLimit) {

    public CheckerOptions {
        Objects.requireNonNull(timeLimit, "timeLimit");
        Objects.requireNonNull(explainTimeLimit, "explainTimeLimit");
        if (maxStatesPerKey < 1 || explainMaxStatesPerCheck < 1) {
            throw new IllegalArgumentException("state budgets must be positive");
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
        }
        if (timeLimit.isNegative() || explainTimeLimit.isNegative()) {
            throw new IllegalArgumentException("time limits cannot be negative");
        }
    }

    /** The defaults described above. */
    public static CheckerOptions defaults() {
        return new CheckerOptions(2_000_000, Duration.ofMinutes(5), Runtime.getRuntime().availableProcessors(),
                200_000, Duration.ofSeconds(20));
    }

    public CheckerOptions withMaxStatesPerKey(long states) {
        return new CheckerOptions(states, timeLimit, parallelism, explainMaxStatesPerCheck, explainTimeLimit);
    }

    public CheckerOptions withTimeLimit(Duration limit) {
        return new CheckerOptions(maxStatesPerKey, limit, parallelism, explainMaxStatesPerCheck, explainTimeLimit);
    }

    public CheckerOptions withParallelism(int threads) {
        return new CheckerOptions(maxStatesPerKey, timeLimit, threads, explainMaxStatesPerCheck, explainTimeLimit);
    }

    public CheckerOptions withExplainBudget(long statesPerCheck, Duration limit) {
        return new CheckerOptions(maxStatesPerKey, timeLimit, parallelism, statesPerCheck, limit);
    }
}
