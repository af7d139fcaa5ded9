package io.raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.core.membership.MembershipChange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime end to end in one JVM: real servers, real durable storage, an in-memory network. Every wait is
 * a condition with a deadline.
 */
class RaftServerTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static byte[] cmd(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RaftServer<String> awaitLeader(LocalCluster c) {
        await().atMost(DEADLINE).until(() -> c.leader() != null);
        return c.leader();
    }

    @Test
    void aClusterElectsALeaderAndAppliesProposalsOnEveryNode() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            String result = leader.propose(cmd("a=1")).get(10, TimeUnit.SECONDS);
            assertThat(result).startsWith("applied at ");
            await().atMost(DEADLINE).until(() -> c.machines.values().stream()
                    .allMatch(m -> "1".equals(m.values.get("a"))));
        }
    }

    @Test
    void aProposalAtAFollowerIsForwardedToTheLeaderAndItsResultReturnedThere() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            awaitLeader(c);
            RaftServer<String> follower = c.followers().values().iterator().next();
            String result = follower.propose(cmd("via=follower")).get(10, TimeUnit.SECONDS);
            assertThat(result).startsWith("applied at ");
            await().atMost(DEADLINE).until(() -> c.machines.values().stream()
                    .allMatch(m -> "follower".equals(m.values.get("via"))));
        }
    }

    @Test
    void theCountersShowBatchingFsyncsCommitsAndReads() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            leader.propose(cmd("warm=1")).get(10, TimeUnit.SECONDS);
            RuntimeCounters n = leader.counters();
            long persisted0 = n.entriesPersisted();
            long applied0 = n.appliedEntries();
            long committed0 = n.committedAsLeader();
            List<CompletableFuture<String>> writes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                writes.add(leader.propose(cmd("b" + i + "=" + i)));
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            leader.readBarrier().get(10, TimeUnit.SECONDS);
            assertThat(n.entriesPersisted() - persisted0).isGreaterThanOrEqualTo(200);
            assertThat(n.fsyncs()).isPositive().isLessThanOrEqualTo(n.entriesPersisted());
            assertThat(n.fsyncNanos()).isPositive();
            assertThat(n.appliedEntries() - applied0).isGreaterThanOrEqualTo(200);
            assertThat(n.applyBatches()).isPositive().isLessThanOrEqualTo(n.appliedEntries());
            assertThat(n.committedAsLeader() - committed0).isGreaterThanOrEqualTo(200);
            assertThat(n.commitLatencyNanos()).isPositive();
            assertThat(n.proposals()).isGreaterThanOrEqualTo(n.committedAsLeader());
            assertThat(n.appendsSent()).isPositive();
            assertThat(n.entriesSent()).isGreaterThanOrEqualTo(n.appendsSent());
            assertThat(n.reads()).isPositive();
            assertThat(n.readRounds()).isPositive().isLessThanOrEqualTo(n.reads());
            assertThat(n.byGroup().get("storage")).containsEntry("entriesPersisted", n.entriesPersisted());
            RaftServer<String> follower = c.followers().values().iterator().next();
            await().atMost(DEADLINE).until(() -> follower.counters().entriesPersisted() >= 201);
        }
    }

    @Test
    void aMembershipChangeCompletesOnceCommittedAndLaterSnapshotsCarryIt() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            leader.propose(cmd("a=1")).get(10, TimeUnit.SECONDS); // an entry of the leader's term is committed
            Configuration withLearner = leader.changeMembership(
                    new MembershipChange.AddLearner(NodeId.of("n4"))).get(10, TimeUnit.SECONDS);
            assertThat(withLearner.learners()).containsExactly(NodeId.of("n4"));
            assertThat(withLearner.voters()).hasSize(3);
            // Learners never count: with n4 absent the cluster still commits.
            leader.propose(cmd("b=2")).get(10, TimeUnit.SECONDS);
            assertThat(leader.takeSnapshot().get(10, TimeUnit.SECONDS).configuration()).isEqualTo(withLearner);

            Throwable invalid = catchThrowable(() -> leader.changeMembership(
                    new MembershipChange.RemoveMember(NodeId.of("n9"))).get(10, TimeUnit.SECONDS));
            assertThat(invalid).hasCauseInstanceOf(RaftException.MembershipChangeRefused.class);
            assertThat(((RaftException.MembershipChangeRefused) invalid.getCause()).retryable()).isFalse();

            RaftServer<String> follower = c.followers().values().iterator().next();
            Throwable notLeader = catchThrowable(() -> follower.changeMembership(
                    new MembershipChange.RemoveMember(NodeId.of("n4"))).get(10, TimeUnit.SECONDS));
            assertThat(notLeader).hasCauseInstanceOf(RaftException.NotLeader.class);

            Configuration without = leader.changeMembership(
                    new MembershipChange.RemoveMember(NodeId.of("n4"))).get(10, TimeUnit.SECONDS);
            assertThat(without.learners()).isEmpty();
            await().atMost(DEADLINE).until(() -> c.servers.values().stream()
                    .allMatch(s -> s.status().configuration().equals(without)));
        }
    }

    @Test
    void aVoterIsAddedAsALearnerFirstAndPromotedOnlyOnceCaughtUp() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            List<CompletableFuture<String>> writes = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                writes.add(leader.propose(cmd("k" + i + "=" + i)));
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            List<Configuration> announced = new java.util.concurrent.CopyOnWriteArrayList<>();
            leader.onConfigurationChange((inForce, committed) -> announced.add(inForce));
            NodeId n4 = NodeId.of("n4");

            // n4 is not running: it is added as a learner, but never catches up, so it is not promoted.
            Configuration learner = leader.changeMembership(new MembershipChange.AddLearner(n4, "127.0.0.1:7004"))
                    .get(10, TimeUnit.SECONDS);
            assertThat(learner.addressOf(n4)).isEqualTo("127.0.0.1:7004");
            await().atMost(DEADLINE).until(() -> announced.stream().anyMatch(a -> a.learners().contains(n4)));
            Throwable early = catchThrowable(() -> leader.changeMembership(new MembershipChange.PromoteLearner(n4))
                    .get(10, TimeUnit.SECONDS));
            assertThat(((RaftException.MembershipChangeRefused) early.getCause()).reason())
                    .isEqualTo(RaftException.MembershipChangeRefused.Reason.NOT_CAUGHT_UP);
            assertThat(early.getCause()).hasMessageContaining("has not caught up");
            Throwable timedOut = catchThrowable(() -> leader.addVoter(n4, null, Duration.ofMillis(300))
                    .get(10, TimeUnit.SECONDS));
            assertThat(((RaftException.MembershipChangeRefused) timedOut.getCause()).reason())
                    .isEqualTo(RaftException.MembershipChangeRefused.Reason.TIMEOUT);
            assertThat(leader.status().configuration().learners()).containsExactly(n4);

            // Started empty, n4 receives the log, catches up, and the addition completes with it a voter.
            c.startEmpty(n4);
            Configuration voter = leader.addVoter(n4, null, Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);
            assertThat(voter.voters()).contains(n4);
            assertThat(voter.addressOf(n4)).isEqualTo("127.0.0.1:7004");
            assertThat(c.servers.get(n4).status().appliedIndex()).isGreaterThanOrEqualTo(300);
            assertThat(announced.get(announced.size() - 1).voters()).contains(n4);
            Throwable again = catchThrowable(() -> leader.addVoter(n4, null, Duration.ofSeconds(1))
                    .get(10, TimeUnit.SECONDS));
            assertThat(((RaftException.MembershipChangeRefused) again.getCause()).reason())
                    .isEqualTo(RaftException.MembershipChangeRefused.Reason.INVALID);
        }
    }

    @Test
    void readBarriersOnEveryNodeSeeEveryAcknowledgedWrite() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            for (int i = 0; i < 20; i++) {
                leader.propose(cmd("k=" + i)).get(10, TimeUnit.SECONDS);
                for (RaftServer<String> s : c.servers.values()) {
                    s.readBarrier().get(10, TimeUnit.SECONDS);
                    // The barrier completed, so this node's state machine reflects the acknowledged write.
                    assertThat(c.machines.get(s.id()).values.get("k")).isEqualTo(Integer.toString(i));
                }
            }
        }
    }

    @Test
    void whenTheLeaderStopsANewOneServesAndNoAcknowledgedWriteIsLost() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                leader.propose(cmd("w" + i + "=" + i)).get(10, TimeUnit.SECONDS);
                acknowledged.add("w" + i);
            }
            NodeId old = leader.id();
            c.stop(old);
            await().atMost(DEADLINE).until(() -> c.leader() != null && !c.leader().id().equals(old));
            RaftServer<String> next = c.leader();
            next.propose(cmd("after=1")).get(10, TimeUnit.SECONDS);
            for (RaftServer<String> s : c.servers.values()) {
                s.readBarrier().get(10, TimeUnit.SECONDS);
                for (String k : acknowledged) {
                    assertThat(c.machines.get(s.id()).values).containsKey(k);
                }
            }
        }
    }

    @Test
    void aStoppedFollowerCatchesUpAfterRestartFromItsDisk() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            leader.propose(cmd("before=1")).get(10, TimeUnit.SECONDS);
            NodeId follower = c.followers().keySet().iterator().next();
            c.stop(follower);
            for (int i = 0; i < 200; i++) {
                leader.propose(cmd("during" + i + "=" + i)).get(10, TimeUnit.SECONDS);
            }
            long leaderLast = leader.status().lastIndex();
            c.start(follower);
            await().atMost(DEADLINE).until(() -> c.servers.get(follower).status().appliedIndex() >= leaderLast);
            assertThat(c.machines.get(follower).values).containsKeys("before", "during0", "during199");
        }
    }

    @Test
    void leadershipMovesToTheChosenNode() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            leader.propose(cmd("x=1")).get(10, TimeUnit.SECONDS);
            NodeId target = c.followers().keySet().iterator().next();
            leader.transferLeadership(target).get(10, TimeUnit.SECONDS);
            await().atMost(DEADLINE).until(() -> c.leader() != null && c.leader().id().equals(target));
            c.leader().propose(cmd("y=2")).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void manyConcurrentProposalsAreBatchedAndAllApplied() throws Exception {
        try (LocalCluster c = new LocalCluster(dir, "n1", "n2", "n3")) {
            RaftServer<String> leader = awaitLeader(c);
            List<CompletableFuture<String>> futures = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                futures.add(leader.propose(cmd("c" + i + "=" + i)));
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
            await().atMost(DEADLINE).until(() -> c.machines.values().stream().allMatch(m -> m.values.size() >= 2000));
            for (CountingStateMachine m : c.machines.values()) {
                assertThat(m.applications.values()).allMatch(n -> n == 1);
            }
        }
    }
}
