package io.raftkv.testkit.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

/** The script runner itself: transcript layout, failure reports, determinism, and the golden-file diff. */
class ScenarioRunnerTest {

    private static String run(String text) {
        return new ScenarioRunner().run(ScenarioScript.parse("inline", text));
    }

    private static ScenarioFailure failure(String text) {
        return catchThrowableOfType(ScenarioFailure.class, () -> run(text));
    }

    @Test
    void theTranscriptRepeatsTheScriptWithEachCommandsOutputIndentedBelowIt() {
        String transcript = run("""
                # a single node elects itself
                nodes 1

                campaign 1   # no pre-vote round is needed with one voter
                status
                """);
        assertThat(transcript).isEqualTo("""
                # a single node elects itself
                nodes 1

                campaign 1   # no pre-vote round is needed with one voter
                  n1: FOLLOWER t0 -> LEADER t1
                status
                  n1 LEADER t1 vote=1 commit=0 applied=0 last=1 log=1/1
                """);
    }

    @Test
    void aFailedExpectationNamesScriptLineAndWhatWasFoundAndTheRunGoesOn() {
        ScenarioFailure f = failure("""
                nodes 1 2 3
                campaign 1
                stabilize
                expect leader 2
                expect term 1 5
                expect term 1 1
                """);
        assertThat(f.failures()).containsExactly(
                "inline.script:4: expect leader 2 -> n2 is FOLLOWER in term 1 (following n1)",
                "inline.script:5: expect term 1 5 -> n1 is in term 1");
        assertThat(f).hasMessageContaining("  FAILED: n1 is in term 1");
    }

    @Test
    void anErrorStopsTheRun() {
        ScenarioFailure f = failure("""
                nodes 1 2 3
                crash 4
                expect term 1 7
                """);
        assertThat(f.failures()).containsExactly("inline.script:2: crash 4 -> IllegalArgumentException: "
                + "no node 4; the nodes are [1, 2, 3]");
    }

    @Test
    void runsAreDeterministic() {
        String script = """
                nodes 1 2 3 4 5
                campaign 1
                stabilize
                isolate 1
                run 40
                heal
                run 5
                status
                """;
        assertThat(run(script)).isEqualTo(run(script));
    }

    @Test
    void messagesOnBlockedLinksAndToCrashedNodesAreDropped() {
        String transcript = run("""
                nodes 1 2 3 pre-vote=false
                partition 1 | 2
                crash 3
                campaign 1
                stabilize
                """);
        assertThat(transcript).contains("  1->2 Vote t1 last=0/0  (dropped: partition)",
                "  1->3 Vote t1 last=0/0  (dropped: n3 is down)");
    }

    @Test
    void theGoldenDiffShowsRemovedAndAddedLinesInContext() {
        String diff = TranscriptDiff.diff("a\nb\nc\nd\n", "a\nb\nX\nd\n");
        assertThat(diff).contains("-c\n+X\n", " b\n", " d\n");
    }
}
