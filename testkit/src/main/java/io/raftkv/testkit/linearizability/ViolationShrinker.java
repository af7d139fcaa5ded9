package io.raftkv.testkit.linearizability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Shrinks a key's non-linearizable history to a small set of OK operations that still cannot be ordered when
 * every other operation is relaxed to "unknown" (may take effect any time after its invoke, or not at all).
 *
 * <p>Relaxing rather than deleting the other operations matters twice: deleting a write could invent a new
 * violation (a read of a value nobody wrote) and so point at the wrong operations, while relaxing only ever adds
 * possibilities; and it makes "this set cannot be ordered" monotone in the set, so a bisection is sound and one
 * pass of single removals gives a set from which no operation can be dropped.
 *
 * <p>A trial only hands the search the operations that can matter: the set itself, plus the relaxed writes of
 * values the set observes (and, through relaxed cas, the values those expect). Everything else the search would
 * drop anyway. So a trial on a handful of operations costs microseconds even in a long history, while a trial
 * on a long stretch of history must rule out every order of it.
 *
 * <p>Steps, each only while the time limit lasts:
 * <ol>
 *   <li>The operations invoked after the point where the search got stuck are irrelevant (see
 *       {@link RegisterSearch.Outcome#stuckAt()}); the operation it got stuck on is the prime suspect.
 *   <li>Grow: the suspect alone, then with each other operation (nearest in time first), then with an operation
 *       touching the same values and any other. Most register violations (a stale read, a lost write, a cas
 *       applied twice, a read of a value never written) need at most three operations, found this way cheaply
 *       even when the stale value was written long before.
 *   <li>Otherwise shrink: the shortest unorderable prefix (by invoke), the shortest suffix of that, then removal of
 *       chunks of halving size.
 *   <li>Finally a pass of single removals with the full trial budget: when no trial in it runs out, the set is
 *       minimal.
 * </ol>
 * A trial that runs out of budget counts as "orderable" (the operation is kept), so the result is always a set
 * proven unorderable.
 */
final class ViolationShrinker {

    private static final long MIN_GUESS_STATES = 10_000;
    private static final long GUESS_FACTOR = 10;
    private static final int RELATED_CANDIDATES = 32;
    private static final int NEAREST_CANDIDATES = 1_000;

    private final List<Operation> ops;
    private final SearchBudget trialBudget;
    private final long growDeadline;
    private final Map<String, List<Integer>> writersOf = new HashMap<>();
    private boolean exhaustive = true;
    private long lastProofStates;

    private ViolationShrinker(List<Operation> ops, long statesPerTrial, Duration timeLimit) {
        this.ops = ops;
        this.trialBudget = new SearchBudget(statesPerTrial, SearchBudget.deadlineAfter(timeLimit));
        // Growing gets half the time; if it finds nothing, shrinking needs the rest.
        this.growDeadline = SearchBudget.deadlineAfter(timeLimit.dividedBy(2));
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).f() != OpKind.GET) {
                writersOf.computeIfAbsent(ops.get(i).written(), v -> new ArrayList<>()).add(i);
            }
        }
    }

    /**
     * Explains why {@code ops} (all operations on {@code key}, by invoke time) cannot be linearized.
     *
     * @param stuckAt the position of the operation the full search got stuck on, or -1
     */
    static Explanation explain(String key, List<Operation> ops, int stuckAt, CheckerOptions options) {
        ViolationShrinker s = new ViolationShrinker(ops, options.explainMaxStatesPerCheck(),
                options.explainTimeLimit());
        List<Integer> core = s.shrink(stuckAt);
        return describe(key, ops, core, s.exhaustive);
    }

    private List<Integer> shrink(int stuckAt) {
        List<Integer> candidates = new ArrayList<>();
        long horizon = stuckAt >= 0 ? ops.get(stuckAt).completeTime() : Long.MAX_VALUE;
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).status() == Operation.Status.OK && ops.get(i).invokeTime() <= horizon) {
                candidates.add(i);
            }
        }
        int suspect = stuckAt >= 0 ? stuckAt : candidates.get(candidates.size() - 1);
        List<Integer> core = grow(suspect, candidates);
        if (core == null) {
            core = bisect(candidates);
            core = removeChunks(core);
        }
        return removeSingles(core);
    }

    // ------------------------------------------------------------------------------------------------ grow

    private List<Integer> grow(int suspect, List<Integer> candidates) {
        if (unorderableWhileGrowing(List.of(suspect))) {
            return List.of(suspect);
        }
        Operation c = ops.get(suspect);
        List<Integer> others = new ArrayList<>(candidates);
        others.remove(Integer.valueOf(suspect));
        others.sort(Comparator.comparingLong(p -> Math.abs(ops.get(p).invokeTime() - c.invokeTime())));
        for (int x : others) {
            if (expired(growDeadline)) {
                return null;
            }
            if (unorderableWhileGrowing(List.of(suspect, x))) {
                return new ArrayList<>(List.of(suspect, x));
            }
        }
        Set<String> values = touched(c);
        List<Integer> related = new ArrayList<>();
        for (int x : others) {
            if (related.size() < RELATED_CANDIDATES && !Collections.disjoint(touched(ops.get(x)), values)) {
                related.add(x);
            }
        }
        // Writes before reads: "put 1, put 2 completed, then a read saw 1" explains a stale read better than
        // "a read saw 2, then a read saw 1", though both are minimal.
        Comparator<Integer> writesFirst = Comparator.comparing(p -> ops.get(p).f() == OpKind.GET);
        related.sort(writesFirst);
        List<Integer> nearest = new ArrayList<>(others.subList(0, Math.min(others.size(), NEAREST_CANDIDATES)));
        nearest.sort(writesFirst);
        for (int x : related) {
            for (int y : nearest) {
                if (expired(growDeadline)) {
                    return null;
                }
                if (y != x && unorderableWhileGrowing(List.of(suspect, x, y))) {
                    return new ArrayList<>(List.of(suspect, x, y));
                }
            }
        }
        return null;
    }

    /** The values an operation observes or writes. */
    private static Set<String> touched(Operation op) {
        Set<String> values = new HashSet<>();
        switch (op.f()) {
            case GET -> values.add(op.value());
            case PUT -> values.add(op.value());
            case DELETE -> values.add(null);
            case CAS -> {
                values.add(op.expected());
                values.add(op.value());
            }
        }
        return values;
    }

    private boolean unorderableWhileGrowing(List<Integer> set) {
        // A small set failing to be proven unorderable within budget just means "try the next one".
        RegisterSearch.Outcome o = trial(set, trialBudget.maxStates());
        return o.verdict() == RegisterSearch.Verdict.NOT_LINEARIZABLE;
    }

    // ------------------------------------------------------------------------------------------------ shrink

    private List<Integer> bisect(List<Integer> okPositions) {
        // All of them cannot be ordered: the full search said so (cut at the point it got stuck).
        int hi = okPositions.size();
        int lo = 0;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (unorderable(okPositions.subList(0, mid), trialBudget.maxStates())) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        int end = hi;
        int start = 0;
        int bad = end;
        while (bad - start > 1) {
            int mid = (start + bad) >>> 1;
            if (unorderable(okPositions.subList(mid, end), trialBudget.maxStates())) {
                start = mid;
            } else {
                bad = mid;
            }
        }
        // Removal order decides which minimal set comes out, and how fast. Reads go first: relaxing a read drops
        // it, and once no read observes a relaxed write, that write drops out too. Then cas, then unconditional
        // writes: a relaxed write whose value a remaining cas expects stays in the search as an operation of
        // unknown outcome, and many of those make trials expensive. The explanation then tends to read "these
        // writes completed, yet this read saw ..." rather than a chain of reads.
        List<Integer> core = new ArrayList<>();
        for (OpKind kind : new OpKind[] {OpKind.GET, OpKind.CAS, OpKind.PUT, OpKind.DELETE}) {
            for (int p : okPositions.subList(start, end - 1)) {
                if (ops.get(p).f() == kind) {
                    core.add(p);
                }
            }
        }
        core.add(okPositions.get(end - 1));
        return core;
    }

    private List<Integer> removeChunks(List<Integer> core) {
        for (int chunk = core.size() / 2; chunk > 1; chunk /= 2) {
            int i = 0;
            while (i < core.size() && core.size() > 1) {
                // Removing a big chunk is a guess that often fails expensively (fewer constraints, more states
                // to rule out), so it gets a budget scaled to the last proof.
                long cap = Math.min(trialBudget.maxStates(), Math.max(MIN_GUESS_STATES, GUESS_FACTOR * lastProofStates));
                List<Integer> without = new ArrayList<>(core.subList(0, i));
                without.addAll(core.subList(Math.min(core.size(), i + chunk), core.size()));
                if (!without.isEmpty() && unorderable(without, cap)) {
                    core = without;
                } else {
                    i += chunk;
                }
            }
        }
        return core;
    }

    /** The final pass: the only one that decides whether the set is reported minimal. */
    private List<Integer> removeSingles(List<Integer> core) {
        exhaustive = true;
        int i = 0;
        while (i < core.size() && core.size() > 1) {
            List<Integer> without = new ArrayList<>(core);
            without.remove(i);
            if (unorderable(without, trialBudget.maxStates())) {
                core = without;
            } else {
                i++;
            }
        }
        return core;
    }

    /** Whether these OK operations (positions) cannot be ordered with every other operation relaxed. */
    private boolean unorderable(List<Integer> positions, long maxStates) {
        if (expired(trialBudget.deadlineNanos())) {
            exhaustive = false;
            return false;
        }
        RegisterSearch.Outcome o = trial(positions, maxStates);
        if (o.verdict() == RegisterSearch.Verdict.UNKNOWN) {
            exhaustive = false;
        }
        if (o.verdict() == RegisterSearch.Verdict.NOT_LINEARIZABLE) {
            lastProofStates = o.states();
            return true;
        }
        return false;
    }

    /**
     * Searches {@code required} with every other operation relaxed, handing the search only the relaxed writes it
     * would keep: writers of a value observed by a required operation, or expected by a relaxed cas kept so.
     */
    private RegisterSearch.Outcome trial(List<Integer> required, long maxStates) {
        Set<Integer> included = new HashSet<>(required);
        Set<String> values = new HashSet<>();
        List<String> pending = new ArrayList<>(); // values to find writers of; null (absent) is one, so no Deque
        for (int p : required) {
            Operation op = ops.get(p);
            String observed = op.f() == OpKind.GET ? op.value() : op.f() == OpKind.CAS ? op.expected() : null;
            if ((op.f() == OpKind.GET || op.f() == OpKind.CAS) && values.add(observed)) {
                pending.add(observed);
            }
        }
        for (int next = 0; next < pending.size(); next++) {
            String v = pending.get(next);
            for (int w : writersOf.getOrDefault(v, List.of())) {
                if (included.add(w) && ops.get(w).f() == OpKind.CAS && values.add(ops.get(w).expected())) {
                    pending.add(ops.get(w).expected());
                }
            }
        }
        List<Integer> sorted = new ArrayList<>(included);
        sorted.sort(null);
        List<Operation> sub = new ArrayList<>(sorted.size());
        boolean[] mustHold = new boolean[sorted.size()];
        Set<Integer> requiredSet = new HashSet<>(required);
        for (int i = 0; i < sorted.size(); i++) {
            sub.add(ops.get(sorted.get(i)));
            mustHold[i] = requiredSet.contains(sorted.get(i));
        }
        return RegisterSearch.check(sub, mustHold, new SearchBudget(maxStates, trialBudget.deadlineNanos()));
    }

    private static boolean expired(long deadline) {
        return new SearchBudget(0, deadline).expired(System.nanoTime());
    }

    // ------------------------------------------------------------------------------------------------ report

    private static Explanation describe(String key, List<Operation> ops, List<Integer> core, boolean minimal) {
        List<Operation> coreOps = new ArrayList<>();
        for (int p : core.stream().sorted().toList()) {
            coreOps.add(ops.get(p));
        }
        Set<String> observed = new LinkedHashSet<>();
        for (Operation op : coreOps) {
            if (op.f() == OpKind.GET && op.value() != null) {
                observed.add(op.value());
            } else if (op.f() == OpKind.CAS && op.expected() != null) {
                observed.add(op.expected());
            }
        }
        List<Operation> context = new ArrayList<>();
        List<String> neverWritten = new ArrayList<>();
        for (String v : observed) {
            boolean writtenByCore = false;
            for (Operation op : coreOps) {
                writtenByCore |= writes(op, v);
            }
            int shown = 0;
            boolean writtenAnywhere = writtenByCore;
            for (Operation op : ops) {
                if (writes(op, v)) {
                    writtenAnywhere = true;
                    // A few writers are enough context; a value written thousands of times would drown the rest.
                    if (!coreOps.contains(op) && !context.contains(op) && shown < 3) {
                        context.add(op);
                        shown++;
                    }
                }
            }
            if (!writtenAnywhere) {
                neverWritten.add(v);
            }
        }
        context.sort(Comparator.comparingLong(Operation::invokeTime));
        return new Explanation(key, coreOps, minimal, context, neverWritten);
    }

    private static boolean writes(Operation op, String v) {
        return (op.f() == OpKind.PUT || op.f() == OpKind.CAS) && Objects.equals(op.value(), v);
    }
}
