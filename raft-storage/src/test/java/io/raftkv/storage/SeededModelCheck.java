package io.raftkv.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * A small harness for model-based property tests: each of many seeds generates a sequence of actions, which a
 * scenario runs against the code under test and an in-memory model, comparing them after every step. A failing
 * sequence is shrunk (actions are dropped while it still fails) and reported with its seed, the shortest failing
 * sequence found and the command that replays it.
 *
 * <p>Seeds are deterministic ({@code firstSeed .. firstSeed + tries - 1}), so every build runs the same
 * sequences and a failure always reproduces. {@code -Draftkv.storage.seed=S} replays one seed;
 * {@code -Draftkv.storage.tries=N} and {@code -Draftkv.storage.firstSeed=F} explore further.
 *
 * <p>Actions must be meaningful in any state (for example, positions are drawn as plain numbers and mapped onto
 * whatever range is valid when the action runs), so that any subsequence is still a valid test: that is what
 * makes shrinking by dropping actions possible.
 */
public final class SeededModelCheck {

    /** Runs one action sequence from scratch (its own fresh directory), throwing if anything disagrees. */
    @FunctionalInterface
    public interface Scenario<A> {
        void run(List<A> actions) throws Exception;
    }

    /** Upper bound on the extra runs spent shrinking one failure. */
    private static final int SHRINK_RUNS = 400;

    private SeededModelCheck() {
    }

    /**
     * Runs {@code scenario} on the sequence {@code generator} draws from each seed.
     *
     * @param testClass    the test class, for the replay command
     * @param defaultTries seeds to run unless {@code -Draftkv.storage.tries} says otherwise
     */
    public static <A> void check(Class<?> testClass, int defaultTries, Function<Random, List<A>> generator,
                                 Scenario<A> scenario) {
        Long only = Long.getLong("raftkv.storage.seed");
        long first = only != null ? only : Long.getLong("raftkv.storage.firstSeed", 1);
        int tries = only != null ? 1 : Integer.getInteger("raftkv.storage.tries", defaultTries);
        for (long seed = first; seed < first + tries; seed++) {
            List<A> actions = generator.apply(new Random(seed));
            Throwable failure = runCatching(scenario, actions);
            if (failure != null) {
                throw shrunk(testClass, seed, scenario, actions, failure);
            }
        }
    }

    private static <A> AssertionError shrunk(Class<?> testClass, long seed, Scenario<A> scenario, List<A> actions,
                                             Throwable original) {
        List<A> current = actions;
        Throwable failure = original;
        int budget = SHRINK_RUNS;
        // Drop ever smaller chunks of actions for as long as the shorter sequence still fails.
        for (int chunk = Math.max(1, current.size() / 2); chunk >= 1 && budget > 0; chunk /= 2) {
            int start = 0;
            while (start + chunk <= current.size() && budget > 0) {
                List<A> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(start + chunk, current.size()));
                budget--;
                Throwable t = runCatching(scenario, candidate);
                if (t != null) {
                    current = candidate;
                    failure = t;
                } else {
                    start += chunk;
                }
            }
        }
        StringBuilder msg = new StringBuilder();
        msg.append("seed ").append(seed).append(" fails (").append(actions.size()).append(" actions, shrunk to ")
                .append(current.size()).append("):\n");
        for (int i = 0; i < current.size(); i++) {
            msg.append("  ").append(i).append(": ").append(current.get(i)).append('\n');
        }
        msg.append("failure: ").append(failure).append('\n');
        if (failure != original) {
            msg.append("original failure: ").append(original).append('\n');
        }
        msg.append("replay: ./mvnw -q -pl raft-storage -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=")
                .append(testClass.getSimpleName()).append(" -Draftkv.storage.seed=").append(seed);
        return new AssertionError(msg.toString(), failure);
    }

    private static <A> Throwable runCatching(Scenario<A> scenario, List<A> actions) {
        try {
            scenario.run(actions);
            return null;
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError) {
                throw (VirtualMachineError) t;
            }
            return t;
        }
    }
}
