package io.raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.core.log.MemoryLogStorage;
import io.raftkv.core.membership.MembershipChange.AddLearner;
import io.raftkv.core.membership.MembershipChange.AddVoter;
import io.raftkv.core.membership.MembershipChange.PromoteLearner;
import io.raftkv.core.membership.MembershipChange.RemoveMember;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.HeartbeatRequest;
import io.raftkv.core.message.VoteRequest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Single-server membership changes through the core's public API (Raft dissertation, chapter 4). */
class MembershipChangeTest {

    private static NodeId id(String s) {
        return NodeId.of(s);
    }

    private static Configuration config(Set<String> voters, Set<String> learners) {
        return new Configuration(ids(voters), ids(learners));
    }

    private static Set<NodeId> ids(Set<String> names) {
        return new java.util.TreeSet<>(names.stream().map(NodeId::of).toList());
    }

    // ------------------------------------------------------------------------------------------------ refusals

    @Test
    void aFollowerRefusesAChangeNamingTheLeader() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        assertThat(c.node("b").proposeMembershipChange(new AddLearner(id("d")))).isEqualTo(new NotLeader(id("a")));
    }

    @Test
    void aNewLeaderRefusesAChangeUntilAnEntryOfItsTermIsCommitted() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        // b takes over in the next term, but nobody acknowledges its no-op yet.
        c.drop = m -> m instanceof AppendEntriesResponse;
        c.node("a").transferLeadership(id("b"));
        c.stabilize();
        assertThat(c.node("b").role()).isEqualTo(Role.LEADER);
        assertThat(c.node("b").proposeMembershipChange(new AddLearner(id("d"))))
                .isEqualTo(new MembershipChangeResult.AwaitingTermCommit(2));
        c.drop = m -> false;
        c.tick(1); // a heartbeat round brings the acknowledgements
        assertThat(c.node("b").proposeMembershipChange(new AddLearner(id("d"))))
                .isInstanceOf(MembershipChangeResult.Accepted.class);
    }

    @Test
    void aSecondChangeIsRefusedUntilTheFirstIsCommitted() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.cutOff.add(id("b"));
        c.cutOff.add(id("c"));
        MembershipChangeResult first = c.node("a").proposeMembershipChange(new AddLearner(id("d")));
        assertThat(first).isEqualTo(new MembershipChangeResult.Accepted(2, 1,
                config(Set.of("a", "b", "c"), Set.of("d"))));
        c.stabilize();
        assertThat(c.node("a").proposeMembershipChange(new AddLearner(id("e"))))
                .isEqualTo(new MembershipChangeResult.ChangeInProgress(2));
        assertThat(c.node("a").status().configurationChangePending()).isTrue();
        c.cutOff.clear();
        c.tick(1);
        assertThat(c.node("a").status().configurationChangePending()).isFalse();
        assertThat(c.node("a").proposeMembershipChange(new AddLearner(id("e"))))
                .isInstanceOf(MembershipChangeResult.Accepted.class);
    }

    @Test
    void changesThatDoNotApplyAreRefusedWithTheReason() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        assertThat(c.node("a").proposeMembershipChange(new AddVoter(id("b"))))
                .isEqualTo(new MembershipChangeResult.Invalid("b is already a voter"));
        assertThat(c.node("a").proposeMembershipChange(new AddLearner(id("c"))))
                .isEqualTo(new MembershipChangeResult.Invalid("c is already a voter"));
        assertThat(c.node("a").proposeMembershipChange(new PromoteLearner(id("x"))))
                .isEqualTo(new MembershipChangeResult.Invalid("x is not a learner"));
        assertThat(c.node("a").proposeMembershipChange(new RemoveMember(id("x"))))
                .isEqualTo(new MembershipChangeResult.Invalid("x is not a member"));
        TestCluster solo = new TestCluster("s");
        solo.elect("s");
        assertThat(solo.node("s").proposeMembershipChange(new RemoveMember(id("s"))))
                .isEqualTo(new MembershipChangeResult.Invalid("s is the last voter: a cluster needs at least one"));
        // Nothing was appended by any refusal.
        assertThat(c.node("a").log().lastIndex()).isEqualTo(1);
    }

    @Test
    void aChangeIsRefusedWhileLeadershipIsBeingTransferred() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.cutOff.add(id("c"));
        c.node("a").propose(new byte[] {1});
        c.node("a").transferLeadership(id("c"));
        assertThat(c.node("a").proposeMembershipChange(new AddLearner(id("d"))))
                .isEqualTo(new MembershipChangeResult.TransferInProgress(id("c")));
    }

    // ------------------------------------------------------------------------------------------------ learners

    @Test
    void anAddedLearnerStartingEmptyReceivesTheWholeLogButNeverVotesNorCounts() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.node("a").propose(new byte[] {1});
        c.stabilize();
        RaftNode d = c.add("d");
        c.node("a").proposeMembershipChange(new AddLearner(id("d")));
        c.stabilize();
        assertThat(d.role()).isEqualTo(Role.LEARNER);
        assertThat(d.log().lastIndex()).isEqualTo(c.node("a").log().lastIndex());
        assertThat(c.node("a").status().followers()).extracting(FollowerStatus::id)
                .containsExactly(id("b"), id("c"), id("d"));
        FollowerStatus learner = c.node("a").status().followers().get(2);
        assertThat(learner.match()).isEqualTo(c.node("a").status().lastIndex());

        // With b and c cut off, a and its learner are not a majority of the voters: nothing commits.
        c.cutOff.add(id("b"));
        c.cutOff.add(id("c"));
        long commit = c.node("a").status().commitIndex();
        c.node("a").propose(new byte[] {2});
        c.stabilize();
        assertThat(d.log().lastIndex()).isEqualTo(commit + 1);
        assertThat(c.node("a").status().commitIndex()).isEqualTo(commit);

        // A learner never campaigns, however long it hears nothing.
        c.cutOff.add(id("a"));
        c.delivered.clear();
        for (int i = 0; i < 50; i++) {
            d.tick();
        }
        c.stabilize();
        assertThat(d.role()).isEqualTo(Role.LEARNER);
        assertThat(d.hasReady()).isFalse();
        assertThat(d.term()).isEqualTo(1);
    }

    @Test
    void aPromotedLearnerCountsForCommitment() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.add("d");
        c.node("a").proposeMembershipChange(new AddLearner(id("d")));
        c.stabilize();
        assertThat(c.node("a").proposeMembershipChange(new PromoteLearner(id("d"))))
                .isInstanceOf(MembershipChangeResult.Accepted.class);
        c.stabilize();
        assertThat(c.node("d").role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.node("b").status().configuration()).isEqualTo(config(Set.of("a", "b", "c", "d"), Set.of()));
        // Four voters: a and b alone are no majority any more; a, b and d are.
        c.cutOff.add(id("c"));
        c.cutOff.add(id("d"));
        long commit = c.node("a").status().commitIndex();
        c.node("a").propose(new byte[] {1});
        c.stabilize();
        assertThat(c.node("a").status().commitIndex()).isEqualTo(commit);
        c.cutOff.remove(id("d"));
        c.tick(1);
        assertThat(c.node("a").status().commitIndex()).isEqualTo(commit + 1);
    }

    // ------------------------------------------------------------------------------------------------ in force when appended

    @Test
    void aConfigurationIsInForceOnAFollowerAsSoonAsItIsAppendedNotWhenCommitted() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.drop = m -> m instanceof AppendEntriesResponse; // nothing the followers hold gets committed
        c.node("a").proposeMembershipChange(new AddVoter(id("d")));
        c.stabilize();
        Status b = c.node("b").status();
        assertThat(b.configuration()).isEqualTo(config(Set.of("a", "b", "c", "d"), Set.of()));
        assertThat(b.configurationIndex()).isEqualTo(2);
        assertThat(b.commitIndex()).isEqualTo(1);
        assertThat(b.configurationChangePending()).isTrue();
    }

    @Test
    void aConfigurationTruncatedAwayIsRevertedEvenAfterARestart() {
        TestCluster c = new TestCluster("a", "b", "c", "d", "e");
        c.elect("a");
        // a's change reaches b only; then a is cut off and c wins with d and e.
        c.cutOff.addAll(List.of(id("c"), id("d"), id("e")));
        c.node("a").proposeMembershipChange(new AddLearner(id("x")));
        c.stabilize();
        Configuration original = Configuration.ofVoters("a", "b", "c", "d", "e");
        Configuration withLearner = config(Set.of("a", "b", "c", "d", "e"), Set.of("x"));
        assertThat(c.node("b").status().configuration()).isEqualTo(withLearner);
        // b restarts: the entry in its log is still in force.
        c.restart("b");
        assertThat(c.node("b").status().configuration()).isEqualTo(withLearner);
        assertThat(c.node("b").status().configurationIndex()).isEqualTo(2);

        // a and b are cut off while c, d and e elect a leader among themselves.
        c.cutOff.clear();
        c.cutOff.addAll(List.of(id("a"), id("b")));
        c.tick(30);
        RaftNode leader = c.nodes.values().stream().filter(n -> n.role() == Role.LEADER && n.term() > 1)
                .findFirst().orElseThrow();
        c.cutOff.remove(id("b"));
        c.tick(1);
        // The new leader's no-op replaced the configuration entry at index 2 on b: the original membership is back.
        assertThat(c.node("b").log().term(2)).isEqualTo(leader.term());
        assertThat(c.node("b").status().configuration()).isEqualTo(original);
        assertThat(c.node("b").status().configurationIndex()).isZero();
        c.restart("b");
        assertThat(c.node("b").status().configuration()).isEqualTo(original);
    }

    // ------------------------------------------------------------------------------------------------ removal

    @Test
    void aLeaderThatRemovesItselfLeadsWithoutCountingItselfThenStepsDownOnceCommitted() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.drop = m -> m.from().equals(id("b")); // only c answers
        MembershipChangeResult r = c.node("a").proposeMembershipChange(new RemoveMember(id("a")));
        assertThat(r).isEqualTo(new MembershipChangeResult.Accepted(2, 1, Configuration.ofVoters("b", "c")));
        c.stabilize();
        // a and c are a majority of the old configuration but not of {b, c}: no commit, a still leads.
        assertThat(c.node("a").role()).isEqualTo(Role.LEADER);
        assertThat(c.node("a").status().commitIndex()).isEqualTo(1);
        assertThat(c.node("a").propose(new byte[] {1})).isInstanceOf(ProposalResult.Accepted.class);
        c.stabilize();
        assertThat(c.node("a").role()).isEqualTo(Role.LEADER);

        c.drop = m -> false;
        c.tick(1);
        assertThat(c.node("a").role()).isEqualTo(Role.FOLLOWER);
        // It handed over at once: the most up-to-date voter campaigned without waiting for a timeout.
        RaftNode leader = c.node("b").role() == Role.LEADER ? c.node("b") : c.node("c");
        assertThat(leader.role()).isEqualTo(Role.LEADER);
        assertThat(leader.status().configuration()).isEqualTo(Configuration.ofVoters("b", "c"));
        assertThat(leader.status().followers()).extracting(FollowerStatus::id).doesNotContain(id("a"));

        // The removed node never campaigns again.
        c.delivered.clear();
        for (int i = 0; i < 100; i++) {
            c.node("a").tick();
        }
        c.stabilize();
        assertThat(c.delivered).noneMatch(m -> m.from().equals(id("a")) && m instanceof VoteRequest);
        assertThat(c.node("a").role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void aLeaderStopsReplicatingToARemovedFollower() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.node("a").proposeMembershipChange(new RemoveMember(id("c")));
        c.stabilize();
        c.delivered.clear();
        c.node("a").propose(new byte[] {1});
        c.tick(3);
        assertThat(c.delivered).noneMatch(m -> m.to().equals(id("c"))
                && (m instanceof AppendEntriesRequest || m instanceof HeartbeatRequest));
        assertThat(c.node("a").status().commitIndex()).isEqualTo(3);
        // Two voters now: b is needed for a majority.
        c.cutOff.add(id("b"));
        c.node("a").propose(new byte[] {2});
        c.stabilize();
        assertThat(c.node("a").status().commitIndex()).isEqualTo(3);
    }

    @Test
    void aRemovedNodeThatMissedItsRemovalCannotDisruptTheCluster() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.cutOff.add(id("c"));
        c.node("a").proposeMembershipChange(new RemoveMember(id("c")));
        c.stabilize();
        c.cutOff.clear();
        // c never learns it was removed; it times out and campaigns, but nobody follows it.
        c.tick(40);
        assertThat(c.node("a").role()).isEqualTo(Role.LEADER);
        assertThat(c.node("a").term()).isEqualTo(1);
        assertThat(c.node("b").term()).isEqualTo(1);
    }

    @Test
    void aVoterTellsACandidateWithAStaleTermItsTerm() {
        // A voter that lags behind a change may campaign among nodes the candidate never asks; the candidate
        // must learn their higher term from the nodes it does ask, or the two raise their terms in step forever.
        MemoryLogStorage disk = new MemoryLogStorage(Configuration.ofVoters("a", "b"));
        disk.setHardState(new HardState(5, null));
        RaftNode b = new RaftNode(RaftConfig.builder("b").preVote(false).build(), disk, new java.util.SplittableRandom(1));
        b.step(new VoteRequest(id("a"), id("b"), 3, 0, 0, false, false));
        Ready rd = b.ready();
        assertThat(rd.messagesAfterPersist())
                .containsExactly(new io.raftkv.core.message.VoteResponse(id("b"), id("a"), 5, false, false));
    }

    // ------------------------------------------------------------------------------------------------ snapshots

    @Test
    void afterCompactionTheSnapshotsConfigurationIsTheBaseAndLaterEntriesStillApply() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.node("a").proposeMembershipChange(new AddLearner(id("x")));
        c.stabilize();
        c.node("a").propose(new byte[] {1});
        c.stabilize();
        Configuration withX = config(Set.of("a", "b", "c"), Set.of("x"));
        assertThat(c.node("b").configurationAt(1)).isEqualTo(Configuration.ofVoters("a", "b", "c"));
        assertThat(c.node("b").configurationAt(3)).isEqualTo(withX);
        MemoryLogStorage disk = c.disks.get(id("b"));
        disk.compact(3);
        assertThat(disk.snapshot().configuration()).isEqualTo(withX);
        c.restart("b");
        assertThat(c.node("b").status().configuration()).isEqualTo(withX);
        assertThat(c.node("b").status().configurationIndex()).isEqualTo(3);
        c.tick(1);
        c.node("a").proposeMembershipChange(new RemoveMember(id("x")));
        c.stabilize();
        assertThat(c.node("b").status().configuration()).isEqualTo(Configuration.ofVoters("a", "b", "c"));
        assertThatThrownBy(() -> c.node("b").configurationAt(1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFollowerThatInstallsASnapshotTakesItsConfiguration() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.elect("a");
        c.node("a").proposeMembershipChange(new AddLearner(id("d")));
        c.stabilize();
        c.node("a").propose(new byte[] {1});
        c.stabilize();
        c.disks.get(id("a")).compact(3);
        RaftNode d = c.add("d");
        c.tick(2);
        assertThat(c.disks.get(id("d")).snapshot().index()).isEqualTo(3);
        assertThat(d.status().configuration()).isEqualTo(config(Set.of("a", "b", "c"), Set.of("d")));
        assertThat(d.role()).isEqualTo(Role.LEARNER);
        assertThat(d.log().lastIndex()).isEqualTo(c.node("a").log().lastIndex());
    }
}
