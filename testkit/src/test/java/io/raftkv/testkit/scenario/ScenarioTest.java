package io.raftkv.testkit.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One test per scenario script in {@code src/test/resources/scenarios}. Each runs its script, which fails
 * on any {@code expect} that does not hold, then compares the transcript with the golden
 * {@code NAME.expected} next to it. After an intended change, regenerate the golden files with
 * {@code ./mvnw -q -pl testkit -am test -Dtest=ScenarioTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dscenario.rewrite=true} and review the diff.
 */
class ScenarioTest {

    static final String FIGURE_7 = "figure7";
    static final String FIGURE_8 = "figure8";
    static final String SPLIT_VOTE = "split-vote";
    static final String STALE_LEADER = "stale-leader";
    static final String PRE_VOTE_REJOIN = "prevote-rejoin";
    static final String CHECK_QUORUM = "check-quorum";
    static final String LEADER_CRASH = "leader-crash";
    static final String FAR_BEHIND = "far-behind";
    static final String TRANSFER = "transfer";
    static final String READ_AFTER_NOOP = "read-after-noop";

    static final List<String> ALL = List.of(FIGURE_7, FIGURE_8, SPLIT_VOTE, STALE_LEADER, PRE_VOTE_REJOIN,
            CHECK_QUORUM, LEADER_CRASH, FAR_BEHIND, TRANSFER, READ_AFTER_NOOP);

    private static final GoldenTranscripts SCENARIOS = GoldenTranscripts.inSourceTree();

    @Test
    void figure7FollowerLogsAreBroughtInLineByANewLeader() {
        check(FIGURE_7);
    }

    @Test
    void figure8LeaderDoesNotCommitAnEarlierTermEntryByCounting() {
        check(FIGURE_8);
    }

    @Test
    void splitVoteResolves() {
        check(SPLIT_VOTE);
    }

    @Test
    void stalePartitionedLeaderStepsDownOnReconnect() {
        check(STALE_LEADER);
    }

    @Test
    void rejoiningNodeDoesNotDisruptAHealthyClusterWithPreVote() {
        check(PRE_VOTE_REJOIN);
    }

    @Test
    void leaderIsolatedFromTheMajorityStepsDownWithCheckQuorum() {
        check(CHECK_QUORUM);
    }

    @Test
    void leaderCrashMidReplicationLosesNoCommittedEntry() {
        check(LEADER_CRASH);
    }

    @Test
    void farBehindFollowerCatchesUpInFewRoundTrips() {
        check(FAR_BEHIND);
    }

    @Test
    void leadershipTransferToAChosenNode() {
        check(TRANSFER);
    }

    @Test
    void newLeaderServesReadsOnlyAfterItsNoopCommits() {
        check(READ_AFTER_NOOP);
    }

    /** A script without a test would never run; a test without a script fails anyway. */
    @Test
    void everyScriptHasItsOwnTest() throws IOException {
        try (Stream<Path> files = Files.list(SCENARIOS.directory())) {
            List<String> scripts = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".script"))
                    .map(n -> n.substring(0, n.length() - ".script".length()))
                    .toList();
            assertThat(scripts).containsExactlyInAnyOrderElementsOf(ALL);
        }
    }

    private static void check(String name) {
        String transcript = new ScenarioRunner().run(SCENARIOS.script(name));
        SCENARIOS.verify(name, transcript);
    }
}
