package io.raftkv.testkit.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.raftkv.core.Mechanism;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Runs the unchanged scenario scripts with one mechanism switched off and requires them to fail at the
 * {@code expect} that checks what the mechanism is for. A scenario that still passed without its mechanism
 * would prove nothing about it. (Golden transcripts are not compared here: only the scripts' own
 * expectations.)
 */
class ScenarioAblationTest {

    private static final GoldenTranscripts SCENARIOS = GoldenTranscripts.inSourceTree();

    @Test
    void withoutPreVoteARejoiningNodeComesBackWithAHigherTermAndDeposesTheLeader() {
        ScenarioFailure f = failureOf(ScenarioTest.PRE_VOTE_REJOIN, () -> new ScenarioRunner().override("pre-vote", "false"));
        // While cut off, n3 ran real elections and raised its term...
        assertThat(f.failures().get(0)).contains("expect term 3 1 -> n3 is in term 4");
        // ...and on its return the healthy leader had to step down.
        assertThat(f).hasMessageContaining("expect leader 1 -> n1 is FOLLOWER in term 5");
    }

    @Test
    void withoutCheckQuorumALeaderCutOffFromTheMajorityStaysLeader() {
        ScenarioFailure f = failureOf(ScenarioTest.CHECK_QUORUM, () -> new ScenarioRunner().override("check-quorum", "false"));
        assertThat(f.failures().get(0)).contains("expect role 1 follower -> n1 is LEADER in term 1");
        assertThat(f).hasMessageContaining("expect leader 4 -> other leaders too: n1 (t1)");
    }

    @Test
    void withoutTheCurrentTermCommitRuleFigure8CommitsAnEntryThatIsThenOverwritten() {
        ScenarioFailure f = failureOf(ScenarioTest.FIGURE_8,
                () -> new ScenarioRunner().override("disable", Mechanism.CURRENT_TERM_COMMIT_RULE.name()));
        // n1 commits 2/2 of term 2 by counting it on n1, n2 and n3...
        assertThat(f.failures().get(0)).contains("expect commit 1 0 -> n1 has commit index 2");
        // ...applies it, and n5 later commits 2/3 at the same index: a committed entry was lost.
        assertThat(f).hasMessageContaining("expect applied-consistent -> different entries were applied at the "
                + "same index: index 2: n1 applied 2/2 but n5 applied 2/3");
    }

    @Test
    void withoutFastBacktrackingAFarBehindFollowerNeedsARoundTripPerEntry() {
        ScenarioFailure f = failureOf(ScenarioTest.FAR_BEHIND,
                () -> new ScenarioRunner().override("disable", Mechanism.FAST_BACKTRACKING.name()));
        assertThat(f.failures().get(0)).contains("expect rejections 3 <= 1 -> n3 rejected 20 appends");
        assertThat(f).hasMessageContaining(
                "expect delivered from=1 to=3 type=AppendEntries <= 3 -> 21 matching messages were delivered");
    }

    /**
     * The whole picture: which scenarios fail with each mechanism off. Pre-vote is also what keeps a node
     * with a stale log from raising everybody's term in leader-crash; Figure 7's followers also need one
     * rejection each only thanks to the hints. Every other scenario passes without the mechanism.
     */
    @Test
    void eachMechanismIsNeededByExactlyTheScenariosThatShowIt() {
        Map<String, Supplier<ScenarioRunner>> ablations = Map.of(
                "pre-vote", () -> new ScenarioRunner().override("pre-vote", "false"),
                "check-quorum", () -> new ScenarioRunner().override("check-quorum", "false"),
                "current-term-commit-rule",
                () -> new ScenarioRunner().override("disable", Mechanism.CURRENT_TERM_COMMIT_RULE.name()),
                "fast-backtracking",
                () -> new ScenarioRunner().override("disable", Mechanism.FAST_BACKTRACKING.name()));
        assertThat(failing(ablations.get("pre-vote")))
                .containsExactly(ScenarioTest.PRE_VOTE_REJOIN, ScenarioTest.LEADER_CRASH);
        assertThat(failing(ablations.get("check-quorum"))).containsExactly(ScenarioTest.CHECK_QUORUM);
        assertThat(failing(ablations.get("current-term-commit-rule"))).containsExactly(ScenarioTest.FIGURE_8);
        assertThat(failing(ablations.get("fast-backtracking")))
                .containsExactly(ScenarioTest.FIGURE_7, ScenarioTest.FAR_BEHIND);
    }

    private static List<String> failing(Supplier<ScenarioRunner> runner) {
        List<String> failed = new ArrayList<>();
        for (String name : ScenarioTest.ALL) {
            try {
                runner.get().run(SCENARIOS.script(name));
            } catch (ScenarioFailure e) {
                failed.add(name);
            }
        }
        return failed;
    }

    private static ScenarioFailure failureOf(String name, Supplier<ScenarioRunner> runner) {
        assertThatThrownBy(() -> runner.get().run(SCENARIOS.script(name)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("scenario '" + name + "' failed");
        return catchThrowableOfType(ScenarioFailure.class, () -> runner.get().run(SCENARIOS.script(name)));
    }
}
