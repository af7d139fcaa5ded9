package io.raftkv.testkit.linearizability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks a key-value history (put, get, delete, cas) for linearizability.
 *
 * <p>Keys are independent registers, and a history is linearizable exactly when each key's sub-history is
 * (linearizability is compositional), so each key is searched on its own, in parallel. Each search is the
 * Wing &amp; Gong / Lowe search with memoization ({@link RegisterSearch}) under a budget: a key that exhausts it
 * is reported {@linkplain CheckResult.Unknown unknown}, never searched forever. A key that cannot be ordered is
 * explained by a small set of operations that cannot be ordered ({@link Explanation}).
 *
 * <p>Command line: {@code LinearizabilityChecker history.jsonl [--max-states N] [--time-limit SECONDS]
 * [--threads N]}; exit status 0 linearizable, 1 not linearizable, 2 unknown, 3 unreadable history.
 */
public final class LinearizabilityChecker {

    private LinearizabilityChecker() {}

    /** Reads a JSON-lines history file and checks it with the default budgets. */
    public static CheckResult check(Path history) throws IOException {
        return check(History.read(history), CheckerOptions.defaults());
    }

    /** Checks a history with the default budgets. */
    public static CheckResult check(History history) {
        return check(history, CheckerOptions.defaults());
    }

    /**
     * Checks a history.
     *
     * @throws HistoryFormatException if the history is not well formed
     */
    public static CheckResult check(History history, CheckerOptions options) {
        return check(history.pair(), options);
    }

    /** Checks already paired operations. */
    public static CheckResult check(PairedHistory paired, CheckerOptions options) {
        long start = System.nanoTime();
        Map<String, List<Operation>> byKey = new TreeMap<>();
        int ok = 0;
        for (Operation op : paired.operations()) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            ok += op.status() == Operation.Status.OK ? 1 : 0;
        }
        SearchBudget budget = new SearchBudget(options.maxStatesPerKey(),
                SearchBudget.deadlineAfter(options.timeLimit()));
        Map<String, RegisterSearch.Outcome> outcomes = searchAll(byKey, budget, options.parallelism());

        long states = 0;
        List<String> notLinearizable = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, RegisterSearch.Outcome> e : outcomes.entrySet()) {
            states += e.getValue().states();
            switch (e.getValue().verdict()) {
                case NOT_LINEARIZABLE -> notLinearizable.add(e.getKey());
                case UNKNOWN -> unknown.add(e.getKey());
                case LINEARIZABLE -> { }
            }
        }
        int operations = paired.operations().size();
        if (!notLinearizable.isEmpty()) {
            String key = notLinearizable.get(0);
            Explanation explanation = ViolationShrinker.explain(key, byKey.get(key), outcomes.get(key).stuckAt(),
                    options);
            return new CheckResult.NotLinearizable(key, explanation,
                    notLinearizable.subList(1, notLinearizable.size()),
                    stats(operations, ok, paired.failed(), byKey.size(), states, start));
        }
        CheckResult.Stats stats = stats(operations, ok, paired.failed(), byKey.size(), states, start);
        if (!unknown.isEmpty()) {
            String key = unknown.get(0);
            return new CheckResult.Unknown(key, outcomes.get(key).reason(), unknown.subList(1, unknown.size()),
                    stats);
        }
        return new CheckResult.Linearizable(stats);
    }

    private static CheckResult.Stats stats(int operations, int ok, int failed, int keys, long states, long start) {
        return new CheckResult.Stats(operations, ok, operations - ok, failed, keys, states,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private static Map<String, RegisterSearch.Outcome> searchAll(Map<String, List<Operation>> byKey,
            SearchBudget budget, int parallelism) {
        Map<String, RegisterSearch.Outcome> outcomes = new TreeMap<>();
        int threads = Math.min(parallelism, byKey.size());
        if (threads <= 1) {
            byKey.forEach((key, ops) -> outcomes.put(key, RegisterSearch.check(ops, budget)));
            return outcomes;
        }
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "linearizability-" + threadNumber.incrementAndGet());
            t.setDaemon(true); // never keeps a JVM alive
            return t;
        });
        try {
            Map<String, Future<RegisterSearch.Outcome>> futures = new TreeMap<>();
            byKey.forEach((key, ops) -> futures.put(key, pool.submit(() -> RegisterSearch.check(ops, budget))));
            for (Map.Entry<String, Future<RegisterSearch.Outcome>> f : futures.entrySet()) {
                outcomes.put(f.getKey(), f.getValue().get());
            }
            return outcomes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking linearizability", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the linearizability search failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Command-line entry point; see the class comment. */
    public static void main(String[] args) {
        if (args.length == 0 || args[0].startsWith("-")) {
            System.err.println("usage: LinearizabilityChecker HISTORY.jsonl [--max-states N] [--time-limit SECONDS]"
                    + " [--threads N]");
            System.exit(3);
        }
        CheckerOptions options = CheckerOptions.defaults();
        try {
            for (int i = 1; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                String v = args[i + 1];
                options = switch (args[i]) {
                    case "--max-states" -> options.withMaxStatesPerKey(Long.parseLong(v));
                    case "--time-limit" -> options.withTimeLimit(Duration.ofSeconds(Long.parseLong(v)));
                    case "--threads" -> options.withParallelism(Integer.parseInt(v));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                };
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(3);
        }
        CheckResult result;
        try {
            result = check(History.read(Path.of(args[0])), options);
        } catch (NoSuchFileException e) {
            System.err.println("cannot check " + args[0] + ": no such file");
            System.exit(3);
            return;
        } catch (IOException | UncheckedIOException | HistoryFormatException e) {
            System.err.println("cannot check " + args[0] + ": " + e.getMessage());
            System.exit(3);
            return;
        }
        System.out.println(result.summary());
        System.exit(result instanceof CheckResult.Linearizable ? 0 : result instanceof CheckResult.NotLinearizable ? 1 : 2);
    }
}
