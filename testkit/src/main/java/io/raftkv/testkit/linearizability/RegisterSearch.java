package io.raftkv.testkit.linearizability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether the operations on one key are linearizable for a single register (value or absent): the
 * Wing &amp; Gong search with Lowe's improvements ("Testing for linearizability", 2017), as Porcupine does it.
 *
 * <p>Call and return entries sit in one doubly linked list in time order. The search walks it from the front:
 * at a call it tries to linearize that operation now (the model allows it and the pair (set of operations done,
 * register value) is new), lifting its call and return out of the list and restarting from the front; reaching
 * a return means the operation that returns there was not linearized before it, so it backtracks. The memo of
 * seen pairs is what keeps this polynomial on well-behaved histories.
 *
 * <p>Operations of unknown outcome may take effect at any time after their invoke, or never. Taking effect after
 * every operation that could observe the value they write is the same as never (see {@link Problem}), so such an
 * operation gets a <em>deadline</em> entry at the last completion of its observers: reaching it while the
 * operation is still pending, the search drops it (a forced move, undone when backtracking past it). That keeps
 * the window of open operations, and so the memo, small even with many unknown outcomes. Only a write whose
 * value an unknown cas expects has no deadline; it stays open until the end. The search succeeds once every OK
 * operation is linearized.
 *
 * <p>Operations can be <em>relaxed</em>: an OK operation outside {@code required} is treated as unknown. The
 * explanation shrinker uses that to ask whether a subset of operations still cannot be ordered.
 */
final class RegisterSearch {

    enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

    /**
     * The answer, the number of states remembered and, when unknown, why. When not linearizable, {@code stuckAt}
     * is the position (in the list given) of the operation whose return the search got furthest to without
     * being able to pass it: every operation invoked after that return is irrelevant to the violation, and the
     * operation itself is usually the one at fault. -1 otherwise.
     */
    record Outcome(Verdict verdict, long states, String reason, int stuckAt) {
        Outcome(Verdict verdict, long states, String reason) {
            this(verdict, states, reason, -1);
        }
    }

    private static final int ABSENT = 0;
    private static final int NOT_APPLICABLE = -1;

    private static final byte CALL = 0;
    private static final byte RETURN = 1;
    private static final byte DEADLINE = 2;

    private RegisterSearch() {}

    /** Checks all operations as recorded. */
    static Outcome check(List<Operation> ops, SearchBudget budget) {
        return check(ops, null, budget);
    }

    /**
     * Checks the operations with only the OK operations in {@code required} (by position in {@code ops}) held to
     * their recorded outcome, every other one relaxed to unknown; {@code null} requires every OK operation.
     */
    static Outcome check(List<Operation> ops, boolean[] required, SearchBudget budget) {
        return new Problem(ops, required).solve(budget);
    }

    /**
     * The search input after reductions that cannot change the answer.
     *
     * <ul>
     *   <li>Unknown gets are dropped: they constrain nothing.
     *   <li>An unknown write of value v matters only if some remaining operation observes v (a get that read v,
     *       a cas expecting v). Right after the write the register holds v, so the next operation in any order
     *       must accept v: an observer of v, or an unconditional write. Placed after every observer, it is thus
     *       followed by an unconditional write or nothing, and leaving it out changes nothing. Hence: with no
     *       observer it is dropped; with only OK observers its deadline is the last of their completions (by
     *       then it happened or is as good as never); an unknown cas observing v has no completion, so then the
     *       write has no deadline. Invoked after its deadline, it is dropped. Repeated to a fixpoint, since
     *       dropping an unknown cas removes an observer.
     * </ul>
     */
    private static final class Problem {
        final int n;
        final OpKind[] kind;
        final boolean[] ok;
        final int[] expected;
        final int[] value; // written value (put, cas), value read (get)
        final long[] invoke;
        final long[] complete; // OK: completion; unknown: deadline, or Operation.NEVER for none
        final int[] source; // position in the list given
        final int okCount;

        Problem(List<Operation> all, boolean[] required) {
            List<Operation> kept = new ArrayList<>();
            List<Boolean> keptOk = new ArrayList<>();
            List<Integer> keptSource = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                Operation op = all.get(i);
                boolean isOk = op.status() == Operation.Status.OK && (required == null || required[i]);
                if (!isOk && op.f() == OpKind.GET) {
                    continue;
                }
                kept.add(op);
                keptOk.add(isOk);
                keptSource.add(i);
            }
            int m = kept.size();
            boolean[] drop = new boolean[m];
            long[] deadline = new long[m];
            boolean changed = true;
            while (changed) {
                changed = false;
                Map<String, Long> lastOkObserver = new HashMap<>();
                Set<String> seenByUnknownCas = new HashSet<>();
                for (int i = 0; i < m; i++) {
                    Operation op = kept.get(i);
                    if (drop[i] || (op.f() != OpKind.GET && op.f() != OpKind.CAS)) {
                        continue;
                    }
                    String observes = op.f() == OpKind.GET ? op.value() : op.expected();
                    if (keptOk.get(i)) {
                        lastOkObserver.merge(observes, op.completeTime(), Math::max);
                    } else {
                        seenByUnknownCas.add(observes);
                    }
                }
                for (int i = 0; i < m; i++) {
                    Operation op = kept.get(i);
                    if (drop[i] || keptOk.get(i)) {
                        continue;
                    }
                    String v = op.written();
                    Long last = lastOkObserver.get(v);
                    if (seenByUnknownCas.contains(v)) {
                        deadline[i] = Operation.NEVER;
                    } else if (last != null && op.invokeTime() <= last) {
                        deadline[i] = last;
                    } else {
                        drop[i] = true;
                        changed = true;
                    }
                }
            }
            int size = 0;
            for (boolean d : drop) {
                size += d ? 0 : 1;
            }
            n = size;
            kind = new OpKind[n];
            ok = new boolean[n];
            expected = new int[n];
            value = new int[n];
            invoke = new long[n];
            complete = new long[n];
            source = new int[n];
            Map<String, Integer> ids = new HashMap<>();
            ids.put(null, ABSENT);
            int j = 0;
            int oks = 0;
            for (int i = 0; i < m; i++) {
                if (drop[i]) {
                    continue;
                }
                Operation op = kept.get(i);
                kind[j] = op.f();
                ok[j] = keptOk.get(i);
                oks += ok[j] ? 1 : 0;
                expected[j] = ids.computeIfAbsent(op.expected(), v -> ids.size());
                value[j] = ids.computeIfAbsent(op.value(), v -> ids.size());
                invoke[j] = op.invokeTime();
                complete[j] = ok[j] ? op.completeTime() : deadline[i];
                source[j] = keptSource.get(i);
                j++;
            }
            okCount = oks;
        }

        /** The register after operation {@code op} on {@code state}, or NOT_APPLICABLE. */
        int step(int op, int state) {
            return switch (kind[op]) {
                case PUT -> value[op];
                case DELETE -> ABSENT;
                case GET -> state == value[op] ? state : NOT_APPLICABLE;
                case CAS -> state == expected[op] ? value[op] : NOT_APPLICABLE;
            };
        }

        Outcome solve(SearchBudget budget) {
            if (okCount == 0) {
                return new Outcome(Verdict.LINEARIZABLE, 0, null);
            }
            return new Walk(this).run(budget);
        }
    }

    /** The linked-list search itself, over one {@link Problem}. */
    private static final class Walk {
        private final Problem p;
        // Entries: 0 = head, 1..e = calls, returns and deadlines in time order, e + 1 = tail.
        private final int head = 0;
        private final int tail;
        private final int[] next;
        private final int[] prev;
        private final int[] opOf;
        private final byte[] type;
        private final int[] match; // call entry -> its return or deadline entry, or -1 if it has none
        private final int[] callOf; // op -> its call entry
        // Unknown operations with the same effect and deadline are interchangeable once both are invoked (many
        // deletes, say): only the earliest-invoked pending one of such a class is ever tried, so the search does
        // not go through every subset of them. -1 when there is no earlier one.
        private final int[] earlierTwin;

        // Operations done (linearized or dropped) as bits. Operations with a return or deadline entry are all done
        // once the search passes it, so the memo key keeps only their window between the oldest open and the
        // newest done; the few without one get their own full range.
        private final int[] bitOf;
        private final boolean[] inWindow;
        private final long[] windowBits;
        private final long[] openEndedBits;

        Walk(Problem p) {
            this.p = p;
            int entries = 0;
            for (int i = 0; i < p.n; i++) {
                entries += p.complete[i] == Operation.NEVER ? 1 : 2;
            }
            long[] time = new long[entries];
            int[] op = new int[entries];
            byte[] kindOfEntry = new byte[entries];
            Integer[] order = new Integer[entries];
            int k = 0;
            for (int i = 0; i < p.n; i++) {
                time[k] = p.invoke[i];
                op[k] = i;
                kindOfEntry[k] = CALL;
                order[k] = k;
                k++;
                if (p.complete[i] != Operation.NEVER) {
                    time[k] = p.complete[i];
                    op[k] = i;
                    kindOfEntry[k] = p.ok[i] ? RETURN : DEADLINE;
                    order[k] = k;
                    k++;
                }
            }
            // At equal times calls go first (operations that touch at an instant count as concurrent: the lenient
            // reading when clocks are coarse), and deadlines last (after the returns of the observers they wait
            // for).
            Arrays.sort(order, (a, b) -> {
                int c = Long.compare(time[a], time[b]);
                if (c != 0) {
                    return c;
                }
                c = Byte.compare(kindOfEntry[a], kindOfEntry[b]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            tail = entries + 1;
            next = new int[entries + 2];
            prev = new int[entries + 2];
            opOf = new int[entries + 2];
            type = new byte[entries + 2];
            match = new int[entries + 2];
            Arrays.fill(match, -1);
            callOf = new int[p.n];
            int last = head;
            for (int pos = 0; pos < entries; pos++) {
                int e = pos + 1;
                int src = order[pos];
                opOf[e] = op[src];
                type[e] = kindOfEntry[src];
                if (type[e] == CALL) {
                    callOf[op[src]] = e;
                } else {
                    match[callOf[op[src]]] = e;
                }
                next[last] = e;
                prev[e] = last;
                last = e;
            }
            next[last] = tail;
            prev[tail] = last;

            bitOf = new int[p.n];
            inWindow = new boolean[p.n];
            int windowed = 0;
            int openEnded = 0;
            for (int i = 0; i < p.n; i++) {
                inWindow[i] = p.complete[i] != Operation.NEVER;
                bitOf[i] = inWindow[i] ? windowed++ : openEnded++;
            }
            windowBits = new long[(windowed + 63) >>> 6];
            openEndedBits = new long[(openEnded + 63) >>> 6];

            earlierTwin = new int[p.n];
            record Effect(OpKind kind, int expected, int value, long deadline) {}
            Map<Effect, Integer> lastOfClass = new HashMap<>();
            for (int i = 0; i < p.n; i++) {
                earlierTwin[i] = -1;
                if (!p.ok[i]) {
                    Effect e = new Effect(p.kind[i], p.kind[i] == OpKind.CAS ? p.expected[i] : 0,
                            p.kind[i] == OpKind.DELETE ? 0 : p.value[i], p.complete[i]);
                    Integer before = lastOfClass.put(e, i);
                    earlierTwin[i] = before == null ? -1 : before;
                }
            }
        }

        Outcome run(SearchBudget budget) {
            Set<StateKey> seen = new HashSet<>();
            int[] stackEntry = new int[p.n];
            int[] stackState = new int[p.n];
            boolean[] stackDropped = new boolean[p.n];
            int depth = 0;
            int state = ABSENT;
            int okLeft = p.okCount;
            int entry = next[head];
            long steps = 0;
            int furthest = -1; // the return entry furthest down the list at which the search had to turn back
            while (true) {
                if ((++steps & 0x3FF) == 0 && budget.expired(System.nanoTime())) {
                    return new Outcome(Verdict.UNKNOWN, seen.size(),
                            "time limit reached after " + seen.size() + " states");
                }
                int op = opOf[entry];
                if (entry != tail && type[entry] == CALL) {
                    int twin = earlierTwin[op];
                    int after = twin >= 0 && !done(twin) ? NOT_APPLICABLE : p.step(op, state);
                    if (after != NOT_APPLICABLE) {
                        flip(op);
                        if (seen.add(key(after))) {
                            if (seen.size() > budget.maxStates()) {
                                return budgetExhausted(budget, seen.size());
                            }
                            stackEntry[depth] = entry;
                            stackState[depth] = state;
                            stackDropped[depth] = false;
                            depth++;
                            state = after;
                            lift(entry);
                            if (p.ok[op] && --okLeft == 0) {
                                return new Outcome(Verdict.LINEARIZABLE, seen.size(), null);
                            }
                            entry = next[head];
                            continue;
                        }
                        flip(op);
                    }
                    entry = next[entry];
                    continue;
                }
                if (entry != tail && type[entry] == DEADLINE) {
                    // Still open at its deadline: from here on it is as good as never, so drop it (no choice to
                    // make, hence nothing to try instead when backtracking past it).
                    flip(op);
                    if (seen.add(key(state))) {
                        if (seen.size() > budget.maxStates()) {
                            return budgetExhausted(budget, seen.size());
                        }
                        stackEntry[depth] = callOf[op];
                        stackState[depth] = state;
                        stackDropped[depth] = true;
                        depth++;
                        lift(callOf[op]);
                        entry = next[head];
                        continue;
                    }
                    flip(op);
                }
                // A return whose operation was not linearized in time, a deadline reached in a state already
                // explored, or (never while an OK operation is left, its return being in the list) the tail:
                // undo the last choice and try the next call after it.
                if (entry != tail && type[entry] == RETURN && (furthest < 0 || later(entry, furthest))) {
                    furthest = entry;
                }
                boolean forced = true;
                while (forced) {
                    if (depth == 0) {
                        return new Outcome(Verdict.NOT_LINEARIZABLE, seen.size(), null,
                                furthest < 0 ? -1 : p.source[opOf[furthest]]);
                    }
                    depth--;
                    entry = stackEntry[depth];
                    state = stackState[depth];
                    forced = stackDropped[depth];
                    int undone = opOf[entry];
                    flip(undone);
                    if (p.ok[undone]) {
                        okLeft++;
                    }
                    unlift(entry);
                }
                entry = next[entry];
            }
        }

        private static Outcome budgetExhausted(SearchBudget budget, long states) {
            return new Outcome(Verdict.UNKNOWN, states, "state budget of " + budget.maxStates() + " states exhausted");
        }

        /** Whether entry {@code a} comes after entry {@code b} in the full list (entries are numbered in order). */
        private static boolean later(int a, int b) {
            return a > b;
        }

        private boolean done(int op) {
            int b = bitOf[op];
            long[] bits = inWindow[op] ? windowBits : openEndedBits;
            return (bits[b >>> 6] & (1L << (b & 63))) != 0;
        }

        private void flip(int op) {
            int b = bitOf[op];
            long[] bits = inWindow[op] ? windowBits : openEndedBits;
            bits[b >>> 6] ^= 1L << (b & 63);
        }

        private StateKey key(int state) {
            int lo = 0;
            while (lo < windowBits.length && windowBits[lo] == -1L) {
                lo++;
            }
            int hi = windowBits.length;
            while (hi > lo && windowBits[hi - 1] == 0L) {
                hi--;
            }
            long[] words = new long[openEndedBits.length + (hi - lo)];
            System.arraycopy(openEndedBits, 0, words, 0, openEndedBits.length);
            System.arraycopy(windowBits, lo, words, openEndedBits.length, hi - lo);
            return new StateKey(lo, state, words);
        }

        private void lift(int e) {
            next[prev[e]] = next[e];
            prev[next[e]] = prev[e];
            int m = match[e];
            if (m >= 0) {
                next[prev[m]] = next[m];
                prev[next[m]] = prev[m];
            }
        }

        private void unlift(int e) {
            int m = match[e];
            if (m >= 0) {
                next[prev[m]] = m;
                prev[next[m]] = m;
            }
            next[prev[e]] = e;
            prev[next[e]] = e;
        }
    }

    /**
     * A memo entry: which operations are done and the register value. {@code lo} is the index of the first window
     * word that is not all ones (every word below it is); {@code words} holds the open-ended operations' words,
     * then the window words from {@code lo} up to the last non-zero one.
     */
    private static final class StateKey {
        private final int lo;
        private final int state;
        private final long[] words;
        private final int hash;

        StateKey(int lo, int state, long[] words) {
            this.lo = lo;
            this.state = state;
            this.words = words;
            this.hash = (Arrays.hashCode(words) * 31 + lo) * 31 + state;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof StateKey k && k.hash == hash && k.lo == lo && k.state == state
                    && Arrays.equals(k.words, words);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
