package io.raftkv.testkit.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hand-made histories with known answers. Times are small integers (nanoseconds). */
class LinearizabilityCheckerTest {

    private static CheckResult check(History.Builder h) {
        return LinearizabilityChecker.check(h.build());
    }

    private static CheckResult.NotLinearizable assertViolation(History.Builder h, String key) {
        CheckResult r = check(h);
        System.out.println(r.summary());
        assertThat(r).isInstanceOf(CheckResult.NotLinearizable.class);
        CheckResult.NotLinearizable n = (CheckResult.NotLinearizable) r;
        assertThat(n.key()).isEqualTo(key);
        assertThat(n.explanation().key()).isEqualTo(key);
        assertThat(n.explanation().text()).contains("key \"" + key + "\"");
        return n;
    }

    private static List<String> described(CheckResult.NotLinearizable n) {
        return n.explanation().operations().stream().map(op -> op.process() + ":" + op.describe()).toList();
    }

    @Nested
    class KnownGoodHistoriesPass {

        @Test
        void aSequentialHistoryOfEveryOperation() {
            History.Builder h = History.builder()
                    .ok(1, Call.read("x", null), 0, 5)
                    .ok(1, Call.put("x", "1"), 10, 20)
                    .ok(2, Call.read("x", "1"), 30, 40)
                    .ok(1, Call.put("x", "2"), 50, 60)
                    .ok(2, Call.read("x", "2"), 70, 80)
                    .ok(1, Call.delete("x"), 90, 100)
                    .ok(2, Call.read("x", null), 110, 120)
                    .ok(1, Call.cas("x", null, "3"), 130, 140)
                    .ok(2, Call.read("x", "3"), 150, 160);
            CheckResult r = check(h);
            assertThat(r).isInstanceOf(CheckResult.Linearizable.class);
            assertThat(r.stats().operations()).isEqualTo(9);
            assertThat(r.summary()).startsWith("linearizable: 9 operations (9 ok, 0 info) over 1 keys");
        }

        @ParameterizedTest
        @ValueSource(strings = {"1", "2"})
        void concurrentWritesThenAReadThatSeesEitherOne(String seen) {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 100)
                    .ok(2, Call.put("x", "2"), 10, 90)
                    .ok(3, Call.read("x", seen), 200, 210)
                    .ok(3, Call.read("x", seen), 220, 230);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @ParameterizedTest
        @ValueSource(strings = {"old", "new"})
        void aReadConcurrentWithAWriteMaySeeTheOldOrTheNewValue(String seen) {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "old"), 0, 10)
                    .ok(1, Call.put("x", "new"), 20, 100)
                    .ok(2, Call.read("x", seen), 30, 40);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @Test
        void operationsTouchingAtAnInstantCountAsConcurrent() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .ok(2, Call.read("x", null), 10, 20);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @Test
        void aCasChainWithAFailedCasInTheMiddle() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "0"), 0, 10)
                    .ok(1, Call.cas("x", "0", "1"), 20, 30)
                    .fail(2, Call.cas("x", "0", "9"), 25, 35)
                    .ok(2, Call.cas("x", "1", "2"), 40, 50)
                    .ok(3, Call.cas("x", "2", "3"), 45, 70)
                    .ok(1, Call.read("x", "3"), 80, 90);
            CheckResult r = check(h);
            assertThat(r).isInstanceOf(CheckResult.Linearizable.class);
            assertThat(r.stats().failed()).isEqualTo(1);
        }

        @Test
        void keysAreIndependent() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .ok(2, Call.put("y", "1"), 0, 10)
                    .ok(1, Call.read("y", "1"), 20, 30)
                    .ok(2, Call.read("x", "1"), 20, 30);
            CheckResult r = check(h);
            assertThat(r).isInstanceOf(CheckResult.Linearizable.class);
            assertThat(r.stats().keys()).isEqualTo(2);
        }
    }

    @Nested
    class OperationsOfUnknownOutcome {

        @Test
        void anInfoPutWhoseValueIsReadLaterHappened() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .info(2, Call.put("x", "2"), 20, 30)
                    .ok(3, Call.read("x", "2"), 100, 110);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @Test
        void anInfoPutNeverObservedMayNotHaveHappened() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .info(2, Call.put("x", "2"), 20, 30)
                    .ok(3, Call.read("x", "1"), 100, 110)
                    .ok(3, Call.read("x", "1"), 120, 130);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @Test
        void anInfoPutMayTakeEffectLongAfterItsInfoWasRecorded() {
            // The write may sit in a leader's log and commit much later: reads see 1, then 2.
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .info(2, Call.put("x", "2"), 20, 30)
                    .ok(3, Call.read("x", "1"), 100, 110)
                    .ok(3, Call.read("x", "2"), 200, 210);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @Test
        void butNotBeforeItWasInvoked() {
            History.Builder h = History.builder()
                    .ok(3, Call.read("x", "2"), 0, 10)
                    .info(2, Call.put("x", "2"), 20, 30);
            assertViolation(h, "x");
        }

        @Test
        void anInfoPutTakesEffectAtMostOnce() {
            History.Builder h = History.builder()
                    .info(2, Call.put("x", "2"), 0, 5)
                    .ok(1, Call.put("x", "1"), 10, 20)
                    .ok(3, Call.read("x", "2"), 30, 40)
                    .ok(1, Call.put("x", "3"), 50, 60)
                    .ok(3, Call.read("x", "2"), 70, 80);
            assertViolation(h, "x");
        }

        @Test
        void aNeverCompletedPutIsTreatedLikeInfo() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .pending(2, Call.put("x", "2"), 20)
                    .ok(3, Call.read("x", "2"), 100, 110);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @ParameterizedTest
        @ValueSource(strings = {"a", "b"})
        void anInfoCasMayOrMayNotHaveHappened(String seen) {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "a"), 0, 10)
                    .info(2, Call.cas("x", "a", "b"), 20, 30)
                    .ok(3, Call.read("x", seen), 100, 110);
            assertThat(check(h)).isInstanceOf(CheckResult.Linearizable.class);
        }

        @Test
        void anInfoCasOnlyTakesEffectWhenItsExpectedValueIsThere() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "c"), 0, 10)
                    .info(2, Call.cas("x", "a", "b"), 20, 30)
                    .ok(3, Call.read("x", "b"), 100, 110);
            CheckResult.NotLinearizable n = assertViolation(h, "x");
            assertThat(described(n)).contains("3:get() -> \"b\"");
        }

        @Test
        void anInfoGetConstrainsNothing() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .info(2, Call.get("x"), 20, 30)
                    .ok(3, Call.read("x", "1"), 40, 50);
            CheckResult r = check(h);
            assertThat(r).isInstanceOf(CheckResult.Linearizable.class);
            assertThat(r.stats().info()).isEqualTo(1);
        }

        @Test
        void aFailedPutNeverHappened() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("x", "1"), 0, 10)
                    .fail(2, Call.put("x", "2"), 20, 30)
                    .ok(3, Call.read("x", "2"), 100, 110);
            assertViolation(h, "x");
        }
    }

    @Nested
    class KnownBadHistoriesFailWithAnExplanation {

        @Test
        void aStaleRead() {
            History.Builder h = History.builder()
                    .ok(9, Call.put("other", "z"), 0, 100)
                    .ok(1, Call.put("k3", "1"), 0, 10)
                    .ok(1, Call.put("k3", "2"), 20, 30)
                    .ok(2, Call.read("k3", "2"), 32, 38)
                    .ok(2, Call.read("k3", "1"), 40, 50)
                    .ok(9, Call.read("other", "z"), 120, 130);
            CheckResult.NotLinearizable n = assertViolation(h, "k3");
            assertThat(described(n)).containsExactly("1:put(\"1\")", "1:put(\"2\")", "2:get() -> \"1\"");
            assertThat(n.explanation().minimal()).isTrue();
            assertThat(n.otherKeys()).isEmpty();
            assertThat(n.explanation().text()).contains("invoked 40 (+40 ns) .. 50 (+50 ns)");
        }

        @Test
        void aLostWrite() {
            // An acknowledged write, no concurrent writes, and a later read from before it.
            History.Builder h = History.builder()
                    .ok(1, Call.put("k", "before"), 0, 10)
                    .ok(2, Call.put("k", "acked"), 20, 30)
                    .ok(3, Call.read("k", "before"), 40, 50);
            CheckResult.NotLinearizable n = assertViolation(h, "k");
            assertThat(described(n)).containsExactly("1:put(\"before\")", "2:put(\"acked\")",
                    "3:get() -> \"before\"");
        }

        @Test
        void aLostWriteToAnEmptyKey() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("k", "acked"), 0, 10)
                    .ok(2, Call.read("k", null), 40, 50);
            CheckResult.NotLinearizable n = assertViolation(h, "k");
            assertThat(described(n)).containsExactly("1:put(\"acked\")", "2:get() -> absent");
        }

        @Test
        void aCasAppliedTwice() {
            // "a" was in the register once; two concurrent cas a -> b cannot both have succeeded.
            History.Builder h = History.builder()
                    .ok(1, Call.put("k7", "a"), 0, 10)
                    .ok(2, Call.cas("k7", "a", "b"), 20, 40)
                    .ok(3, Call.cas("k7", "a", "b"), 25, 45)
                    .ok(1, Call.read("k7", "b"), 50, 60);
            CheckResult.NotLinearizable n = assertViolation(h, "k7");
            assertThat(described(n)).contains("2:cas(\"a\" -> \"b\")", "3:cas(\"a\" -> \"b\")");
            assertThat(n.explanation().operations()).hasSizeLessThanOrEqualTo(3);
            assertThat(n.explanation().text()).contains("put(\"a\")");
        }

        @Test
        void aReadOfAValueNeverWritten() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("k", "1"), 0, 10)
                    .ok(2, Call.read("k", "1"), 20, 30)
                    .ok(2, Call.read("k", "ghost"), 40, 50)
                    .ok(1, Call.put("k", "2"), 60, 70);
            CheckResult.NotLinearizable n = assertViolation(h, "k");
            assertThat(described(n)).containsExactly("2:get() -> \"ghost\"");
            assertThat(n.explanation().neverWritten()).containsExactly("ghost");
            assertThat(n.explanation().text()).contains("no operation in the history writes \"ghost\"");
        }

        @Test
        void aDeleteThatDidNotStick() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("k", "1"), 0, 10)
                    .ok(1, Call.delete("k"), 20, 30)
                    .ok(2, Call.read("k", "1"), 40, 50);
            CheckResult.NotLinearizable n = assertViolation(h, "k");
            assertThat(described(n)).containsExactly("1:put(\"1\")", "1:delete()", "2:get() -> \"1\"");
        }

        @Test
        void theViolationIsFoundAmongManyGoodOperationsAndShrunkToIt() {
            History.Builder h = History.builder();
            long t = 0;
            for (int i = 0; i < 200; i++) {
                h.ok(1, Call.put("k", "v" + i), t, t + 10);
                h.ok(2, Call.read("k", "v" + i), t + 5, t + 15); // concurrent with the write
                t += 20;
            }
            h.ok(3, Call.read("k", "v150"), t, t + 10); // stale: v199 was written long before
            for (int i = 0; i < 50; i++) {
                t += 20;
                h.ok(1, Call.put("k", "w" + i), t, t + 10);
            }
            CheckResult.NotLinearizable n = assertViolation(h, "k");
            // Either "put v150, a later put, the stale read" or "a read of v150, a later put, the stale read":
            // both are minimal. put v150 is shown either way (in the set or as context).
            assertThat(described(n)).contains("3:get() -> \"v150\"");
            assertThat(n.explanation().operations()).hasSize(3);
            assertThat(n.explanation().text()).contains("put(\"v150\")");
            assertThat(n.explanation().minimal()).isTrue();
        }

        @Test
        void everyFailingKeyIsNamedAndTheFirstExplained() {
            History.Builder h = History.builder()
                    .ok(1, Call.put("b", "1"), 0, 10)
                    .ok(1, Call.read("b", "x"), 20, 30)
                    .ok(2, Call.put("a", "1"), 0, 10)
                    .ok(2, Call.read("a", "y"), 20, 30)
                    .ok(3, Call.put("c", "1"), 0, 10);
            CheckResult.NotLinearizable n = assertViolation(h, "a");
            assertThat(n.otherKeys()).containsExactly("b");
            assertThat(n.summary()).contains("also on 1 other keys: [b]");
        }
    }

    @Nested
    class Budgets {

        /**
         * 30 concurrent puts of unknown outcome, each read once in turn, then a read no order explains: the search
         * must consider which subset of the unknown puts had happened at every point, 2^30 of them.
         */
        private History pathological(String key) {
            History.Builder h = History.builder();
            int n = 30;
            for (int i = 0; i < n; i++) {
                h.info(100 + i, Call.put(key, "v" + i), i, 1_000_000);
            }
            long t = 1000;
            for (int i = 0; i < n; i++) {
                h.ok(1, Call.read(key, "v" + i), t, t + 10);
                t += 20;
            }
            h.ok(1, Call.read(key, "v0"), t, t + 10);
            return h.build();
        }

        @Test
        void aStateBudgetEndsTheSearchWithUnknown() {
            CheckerOptions options = CheckerOptions.defaults().withMaxStatesPerKey(50_000);
            CheckResult r = LinearizabilityChecker.check(pathological("hot"), options);
            System.out.println(r.summary());
            assertThat(r).isInstanceOf(CheckResult.Unknown.class);
            CheckResult.Unknown u = (CheckResult.Unknown) r;
            assertThat(u.key()).isEqualTo("hot");
            assertThat(u.reason()).contains("state budget of 50000 states exhausted");
            assertThat(r.stats().statesExplored()).isLessThanOrEqualTo(50_001);
        }

        @Test
        void aTimeLimitEndsTheSearchWithUnknown() {
            CheckerOptions options = CheckerOptions.defaults()
                    .withMaxStatesPerKey(Long.MAX_VALUE)
                    .withTimeLimit(Duration.ofMillis(200));
            CheckResult r = LinearizabilityChecker.check(pathological("hot"), options);
            System.out.println(r.summary());
            assertThat(r).isInstanceOf(CheckResult.Unknown.class);
            assertThat(((CheckResult.Unknown) r).reason()).contains("time limit");
        }

        @Test
        void aViolationOnOneKeyOutweighsAnUndecidedOne() {
            List<HistoryEvent> events = new java.util.ArrayList<>(pathological("hot").events());
            events.addAll(History.builder()
                    .ok(1000, Call.put("cold", "1"), 0, 10)
                    .ok(1000, Call.read("cold", "2"), 20, 30)
                    .build().events());
            CheckResult r = LinearizabilityChecker.check(History.of(events),
                    CheckerOptions.defaults().withMaxStatesPerKey(20_000));
            assertThat(r).isInstanceOf(CheckResult.NotLinearizable.class);
            assertThat(((CheckResult.NotLinearizable) r).key()).isEqualTo("cold");
        }
    }
}
