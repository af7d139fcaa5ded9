package io.raftkv.testkit.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A 10,000-operation history over 10 keys from a simulated linearizable store with 8 concurrent clients, operations
 * of unknown outcome and failures: it must check as linearizable, and as not linearizable once one read is made
 * stale. The checking time is printed, never asserted (docs/testing.md, "performance is measured, not asserted").
 *
 * <p>{@code -Draftkv.lin.seed=S} replays a seed; {@code -Draftkv.lin.ops=N}, {@code -Draftkv.lin.clients=N} and
 * {@code -Draftkv.lin.keys=N} change the shape (10,000, 8 and 10 by default).
 */
class LinearizabilitySpeedTest {

    private static final long DEFAULT_SEED = 20_250_611L;

    @Test
    void tenThousandOperationsOverTenKeysCheckAndAStaleReadIsCaught() {
        long seed = Long.getLong("raftkv.lin.seed", DEFAULT_SEED);
        int size = Integer.getInteger("raftkv.lin.ops", 10_000);
        int clients = Integer.getInteger("raftkv.lin.clients", 8);
        int keys = Integer.getInteger("raftkv.lin.keys", 10);
        System.out.println("linearizability speed test: seed " + seed + " (replay: ./mvnw -q test -pl testkit -am "
                + "-Dtest=LinearizabilitySpeedTest -Dsurefire.failIfNoSpecifiedTests=false -Draftkv.lin.seed=" + seed
                + ")");
        List<SimulatedOp> ops = SimulatedStore.run(new SplittableRandom(seed), size, clients, keys);
        History history = SimulatedStore.record(ops);
        System.out.println("  history: " + SimulatedStore.describe(ops, clients));

        long t0 = System.nanoTime();
        String json = history.toJsonLines();
        History parsed = History.parse(json);
        long t1 = System.nanoTime();
        System.out.printf(Locale.ROOT, "  JSON: %d lines, %.1f MB, written and parsed in %.3f s%n",
                parsed.events().size(), json.length() / 1e6, (t1 - t0) / 1e9);

        for (int threads : new int[] {1, 2}) {
            CheckResult r = LinearizabilityChecker.check(parsed, CheckerOptions.defaults().withParallelism(threads));
            System.out.println("  " + threads + " thread(s): " + r.summary());
            assertThat(r).isInstanceOf(CheckResult.Linearizable.class);
        }

        StaleRead stale = SimulatedStore.makeOneReadStale(ops);
        History broken = SimulatedStore.record(stale.ops());
        CheckResult r = LinearizabilityChecker.check(broken, CheckerOptions.defaults().withParallelism(2));
        System.out.println("  made stale: " + stale.read().describe() + " on " + stale.read().key + " (was \""
                + stale.was() + "\")");
        System.out.println("  " + r.summary().replace("\n", "\n  "));
        assertThat(r).isInstanceOf(CheckResult.NotLinearizable.class);
        CheckResult.NotLinearizable n = (CheckResult.NotLinearizable) r;
        assertThat(n.key()).isEqualTo(stale.read().key);
        assertThat(n.explanation().operations())
                .anySatisfy(op -> {
                    assertThat(op.f()).isEqualTo(OpKind.GET);
                    assertThat(op.invokeTime()).isEqualTo(stale.read().invoke);
                    assertThat(op.value()).isEqualTo(stale.read().value);
                });
        assertThat(n.explanation().operations()).hasSizeLessThanOrEqualTo(4);
    }

    enum Outcome { OK, FAIL, INFO }

    /** One operation of the simulation: its interval, the instant it took effect, and what the client saw. */
    static final class SimulatedOp {
        long process;
        OpKind f;
        String key;
        String expected;
        String value; // put/cas: new value; get: value read
        long invoke;
        long effect; // when it takes effect, if it does
        long complete; // ok/fail: the answer; info: when the client gave up
        Outcome outcome;
        boolean applies; // for info: whether it did take effect after all

        String describe() {
            return switch (f) {
                case PUT -> "put(" + value + ")";
                case DELETE -> "delete()";
                case GET -> "get() -> " + value;
                case CAS -> "cas(" + expected + " -> " + value + ")";
            } + " " + outcome + " [" + invoke + ", " + complete + "]";
        }

        Call call() {
            return switch (f) {
                case PUT -> Call.put(key, value);
                case DELETE -> Call.delete(key);
                case GET -> Call.read(key, value);
                case CAS -> Call.cas(key, expected, value);
            };
        }

        SimulatedOp copy() {
            SimulatedOp c = new SimulatedOp();
            c.process = process;
            c.f = f;
            c.key = key;
            c.expected = expected;
            c.value = value;
            c.invoke = invoke;
            c.effect = effect;
            c.complete = complete;
            c.outcome = outcome;
            c.applies = applies;
            return c;
        }
    }

    record StaleRead(List<SimulatedOp> ops, SimulatedOp read, String was) {}

    /** A store that is linearizable by construction: every operation takes effect at one instant in its interval. */
    static final class SimulatedStore {

        static List<SimulatedOp> run(SplittableRandom random, int count, int clients, int keys) {
            List<SimulatedOp> ops = new ArrayList<>();
            long[] clock = new long[clients];
            long[] process = new long[clients];
            for (int c = 0; c < clients; c++) {
                process[c] = c;
            }
            long nextProcess = clients;
            for (int i = 0; i < count; i++) {
                int c = i % clients;
                SimulatedOp op = new SimulatedOp();
                op.process = process[c];
                op.key = "k" + random.nextInt(keys);
                int pick = random.nextInt(100);
                op.f = pick < 35 ? OpKind.PUT : pick < 75 ? OpKind.GET : pick < 80 ? OpKind.DELETE : OpKind.CAS;
                op.invoke = clock[c] + 1 + random.nextInt(2_000);
                // Mostly short operations, a few slow ones that overlap many others.
                long latency = random.nextInt(100) < 5 ? 10_000 + random.nextInt(40_000) : 200 + random.nextInt(3_000);
                op.effect = op.invoke + random.nextLong(latency + 1);
                op.complete = op.invoke + latency;
                int fate = random.nextInt(100);
                if (fate < 2) {
                    op.outcome = Outcome.INFO; // timed out; it may or may not take effect
                    op.applies = random.nextBoolean();
                    process[c] = nextProcess++;
                } else if (fate < 3 && op.f != OpKind.GET && op.f != OpKind.CAS) {
                    op.outcome = Outcome.FAIL; // refused, did not happen
                } else {
                    op.outcome = Outcome.OK;
                }
                if (op.outcome == Outcome.INFO && op.applies) {
                    // An unknown write can take effect after the client gave up (still in the log).
                    op.effect = op.invoke + random.nextLong(2 * latency + 1);
                }
                clock[c] = op.complete;
                ops.add(op);
            }
            // Apply in effect order; results (reads, cas outcomes) follow from the register values.
            List<SimulatedOp> byEffect = new ArrayList<>(ops);
            byEffect.sort(Comparator.comparingLong(o -> o.effect));
            Map<String, String> store = new HashMap<>();
            Map<String, List<String>> written = new HashMap<>();
            int serial = 0;
            for (SimulatedOp op : byEffect) {
                boolean takesEffect = op.outcome == Outcome.OK || (op.outcome == Outcome.INFO && op.applies);
                String current = store.get(op.key);
                List<String> history = written.computeIfAbsent(op.key, k -> new ArrayList<>());
                switch (op.f) {
                    case PUT -> {
                        op.value = "v" + serial++;
                        if (takesEffect) {
                            store.put(op.key, op.value);
                            history.add(op.value);
                        }
                    }
                    case DELETE -> {
                        if (takesEffect) {
                            store.remove(op.key);
                        }
                    }
                    case GET -> op.value = current;
                    case CAS -> {
                        op.value = "v" + serial++;
                        int p = random.nextInt(10);
                        op.expected = p < 7 || history.isEmpty() ? current
                                : p < 9 ? history.get(random.nextInt(history.size())) : null;
                        boolean matches = java.util.Objects.equals(op.expected, current);
                        if (op.outcome == Outcome.OK && !matches) {
                            op.outcome = Outcome.FAIL; // a cas that found another value
                        }
                        if (takesEffect && matches) {
                            store.put(op.key, op.value);
                            history.add(op.value);
                        }
                    }
                }
            }
            return ops;
        }

        /** The events in time order, as a recorder would have written them. */
        static History record(List<SimulatedOp> ops) {
            record Stamped(long time, int order, HistoryEvent event) {}
            List<Stamped> events = new ArrayList<>();
            int order = 0;
            for (SimulatedOp op : ops) {
                Call call = op.call();
                events.add(new Stamped(op.invoke, order++, new HistoryEvent(op.process, EventType.INVOKE,
                        op.f == OpKind.GET ? Call.get(op.key) : call, op.invoke)));
                EventType type = switch (op.outcome) {
                    case OK -> EventType.OK;
                    case FAIL -> EventType.FAIL;
                    case INFO -> EventType.INFO;
                };
                Call completion = op.outcome == Outcome.OK || op.f != OpKind.GET ? call : Call.get(op.key);
                events.add(new Stamped(op.complete, order++, new HistoryEvent(op.process, type, completion,
                        op.complete)));
            }
            events.sort(Comparator.comparingLong(Stamped::time).thenComparingInt(Stamped::order));
            return History.of(events.stream().map(Stamped::event).toList());
        }

        static String describe(List<SimulatedOp> ops, int clients) {
            int ok = 0;
            int info = 0;
            int fail = 0;
            Map<OpKind, Integer> kinds = new java.util.EnumMap<>(OpKind.class);
            long processes = ops.stream().mapToLong(o -> o.process).distinct().count();
            for (SimulatedOp op : ops) {
                kinds.merge(op.f, 1, Integer::sum);
                switch (op.outcome) {
                    case OK -> ok++;
                    case INFO -> info++;
                    case FAIL -> fail++;
                }
            }
            // Concurrency: how many operations are open at once, overall and on one key, on average and at most.
            List<long[]> edges = new ArrayList<>();
            Map<String, List<long[]>> perKey = new HashMap<>();
            for (SimulatedOp op : ops) {
                long end = op.outcome == Outcome.INFO ? Long.MAX_VALUE : op.complete;
                edges.add(new long[] {op.invoke, 1});
                edges.add(new long[] {end, -1});
                perKey.computeIfAbsent(op.key, k -> new ArrayList<>()).add(new long[] {op.invoke, 1});
                perKey.get(op.key).add(new long[] {end, -1});
            }
            int maxKey = 0;
            for (List<long[]> e : perKey.values()) {
                maxKey = Math.max(maxKey, maxOpen(e));
            }
            return String.format(Locale.ROOT, "%d operations (%s) by %d clients as %d process numbers over %d keys: "
                    + "%d ok, %d fail, %d info; at most %d open at once (%d on one key, info counted as open forever);"
                    + " spans %.1f ms of simulated time",
                    ops.size(), kinds, clients, processes, perKey.size(), ok, fail, info, maxOpen(edges), maxKey,
                    ops.stream().mapToLong(o -> o.complete).max().orElse(0) / 1e6);
        }

        private static int maxOpen(List<long[]> edges) {
            edges.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
            int open = 0;
            int max = 0;
            for (long[] e : edges) {
                open += (int) e[1];
                max = Math.max(max, open);
            }
            return max;
        }

        /**
         * Changes one OK read in the second half to a value its key held earlier: one written by an OK write that
         * completed before another OK write of the key began, which itself completed before the read began, so no
         * order can explain it.
         */
        static StaleRead makeOneReadStale(List<SimulatedOp> ops) {
            for (int i = ops.size() / 2; i < ops.size(); i++) {
                SimulatedOp read = ops.get(i);
                if (read.f != OpKind.GET || read.outcome != Outcome.OK) {
                    continue;
                }
                SimulatedOp newer = null;
                for (SimulatedOp w : ops) {
                    if (w.key.equals(read.key) && isOkWrite(w) && w.complete < read.invoke
                            && (newer == null || w.invoke > newer.invoke)) {
                        newer = w;
                    }
                }
                if (newer == null) {
                    continue;
                }
                for (SimulatedOp old : ops) {
                    if (old.key.equals(read.key) && isOkWrite(old) && old.f != OpKind.DELETE
                            && old.complete < newer.invoke && !old.value.equals(read.value)
                            && !old.value.equals(newer.value)) {
                        List<SimulatedOp> copy = new ArrayList<>();
                        SimulatedOp stale = null;
                        for (SimulatedOp o : ops) {
                            SimulatedOp c = o.copy();
                            if (o == read) {
                                c.value = old.value;
                                stale = c;
                            }
                            copy.add(c);
                        }
                        return new StaleRead(copy, stale, read.value);
                    }
                }
            }
            throw new IllegalStateException("no read to make stale");
        }

        private static boolean isOkWrite(SimulatedOp op) {
            return op.outcome == Outcome.OK && op.f != OpKind.GET;
        }
    }
}
