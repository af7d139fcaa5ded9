package io.raftkv.testkit.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The checker against the definition: on thousands of small random histories on one key (few values, so reads
 * often match by chance; overlapping intervals; a third of the operations of unknown outcome), its verdict must
 * equal that of a brute-force search over every order, and every explanation must be a set of operations that
 * the brute force also cannot order, with nothing removable when it claims to be minimal. This is what guards
 * the search's reductions (unknown writes dropped or given deadlines, interchangeable unknown operations).
 *
 * <p>{@code -Draftkv.lin.bruteSeed=S} replays a seed, {@code -Draftkv.lin.bruteCases=N} sets how many cases.
 */
class LinearizabilityBruteForceTest {

    private static final String[] VALUES = {null, "a", "b", "c"};

    @Test
    void theCheckerAgreesWithABruteForceSearchOnSmallRandomHistories() {
        long seed = Long.getLong("raftkv.lin.bruteSeed", 42);
        int cases = Integer.getInteger("raftkv.lin.bruteCases", 3000);
        System.out.println("brute-force comparison: seed " + seed + ", " + cases + " histories (replay: "
                + "-Dtest=LinearizabilityBruteForceTest -Draftkv.lin.bruteSeed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        int linearizable = 0;
        int explained = 0;
        int minimal = 0;
        for (int c = 0; c < cases; c++) {
            History h = randomHistory(random, 1 + random.nextInt(12));
            List<Operation> ops = h.pair().operations();
            boolean expected = orderable(ops, null);
            CheckResult r = LinearizabilityChecker.check(h, CheckerOptions.defaults().withParallelism(1));
            String where = "case " + c + " of seed " + seed + ":\n" + h.toJsonLines() + r.summary();
            assertThat(r).as(where).isInstanceOf(
                    expected ? CheckResult.Linearizable.class : CheckResult.NotLinearizable.class);
            if (expected) {
                linearizable++;
                continue;
            }
            Explanation e = ((CheckResult.NotLinearizable) r).explanation();
            Set<Integer> core = new HashSet<>();
            e.operations().forEach(op -> core.add(op.id()));
            assertThat(orderable(ops, core)).as("explanation is unorderable: " + where).isFalse();
            explained++;
            if (e.minimal()) {
                minimal++;
                for (int id : core) {
                    Set<Integer> smaller = new HashSet<>(core);
                    smaller.remove(id);
                    assertThat(orderable(ops, smaller)).as("dropping " + id + " makes it orderable: " + where)
                            .isTrue();
                }
            }
        }
        System.out.printf("  %d linearizable, %d not (all explanations verified, %d claimed minimal and are)%n",
                linearizable, explained, minimal);
        assertThat(minimal).isEqualTo(explained);
    }

    private static History randomHistory(SplittableRandom random, int n) {
        History.Builder b = History.builder();
        for (int i = 0; i < n; i++) {
            long invoke = random.nextInt(30);
            long complete = invoke + random.nextInt(12);
            String v = VALUES[1 + random.nextInt(3)];
            String any = VALUES[random.nextInt(VALUES.length)];
            Call call = switch (random.nextInt(4)) {
                case 0 -> Call.put("k", v);
                case 1 -> Call.read("k", any);
                case 2 -> Call.delete("k");
                default -> Call.cas("k", any, v);
            };
            int fate = random.nextInt(10);
            if (fate < 3) {
                b.info(i, call, invoke, complete);
            } else if (fate < 4) {
                b.pending(i, call, invoke);
            } else {
                b.ok(i, call, invoke, complete);
            }
        }
        return b.build();
    }

    /**
     * Whether some order exists: every OK operation in {@code required} (all OK operations when null) takes
     * effect once within its interval, the others (and info ones) at most once after their invoke; gets of
     * unknown outcome are ignored. Operations touching at an instant are concurrent.
     */
    static boolean orderable(List<Operation> ops, Set<Integer> required) {
        List<Operation> xs = new ArrayList<>();
        List<Boolean> must = new ArrayList<>();
        for (Operation op : ops) {
            boolean ok = op.status() == Operation.Status.OK && (required == null || required.contains(op.id()));
            if (!ok && op.f() == OpKind.GET) {
                continue;
            }
            xs.add(op);
            must.add(ok);
        }
        return search(xs, must, 0, null, new HashSet<>());
    }

    private static boolean search(List<Operation> xs, List<Boolean> must, int done, String state,
            Set<List<Object>> failed) {
        boolean all = true;
        for (int i = 0; i < xs.size(); i++) {
            all &= !must.get(i) || (done & (1 << i)) != 0;
        }
        if (all) {
            return true;
        }
        if (!failed.add(List.of(done, Objects.requireNonNullElse(state, "\0absent")))) {
            return false;
        }
        for (int i = 0; i < xs.size(); i++) {
            if ((done & (1 << i)) != 0) {
                continue;
            }
            Operation x = xs.get(i);
            boolean blocked = false;
            for (int j = 0; j < xs.size(); j++) {
                blocked |= j != i && (done & (1 << j)) == 0 && must.get(j)
                        && xs.get(j).completeTime() < x.invokeTime();
            }
            if (blocked) {
                continue;
            }
            String after;
            switch (x.f()) {
                case PUT -> after = x.value();
                case DELETE -> after = null;
                case GET -> {
                    if (!Objects.equals(state, x.value())) {
                        continue;
                    }
                    after = state;
                }
                default -> {
                    if (!Objects.equals(state, x.expected())) {
                        continue;
                    }
                    after = x.value();
                }
            }
            if (search(xs, must, done | (1 << i), after, failed)) {
                return true;
            }
        }
        return false;
    }
}
