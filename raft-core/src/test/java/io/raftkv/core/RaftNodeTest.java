package io.raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.core.log.MemoryLogStorage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Unit tests of the core through its public API, with messages delivered synchronously and in order. */
class RaftNodeTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCampaigningNodeBecomesLeaderAndReplicatesItsNoop() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.node("a").campaign();
        c.stabilize();
        assertThat(c.node("a").role()).isEqualTo(Role.LEADER);
        assertThat(c.node("b").leader()).isEqualTo(NodeId.of("a"));
        for (RaftNode n : c.nodes.values()) {
            assertThat(n.status().commitIndex()).isEqualTo(1);
            assertThat(n.term()).isEqualTo(1);
        }
    }

    @Test
    void proposalsCommitAndApplyOnEveryNodeInOrder() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.node("a").campaign();
        c.stabilize();
        ProposalResult r = c.node("a").propose(List.of(bytes("x"), bytes("y")));
        assertThat(r).isEqualTo(new ProposalResult.Accepted(2, 3, 1));
        c.stabilize();
        for (List<Entry> applied : c.applied.values()) {
            assertThat(applied).extracting(Entry::index).containsExactly(1L, 2L, 3L);
            assertThat(new String(applied.get(2).data(), StandardCharsets.UTF_8)).isEqualTo("y");
        }
    }

    @Test
    void followersRefuseProposalsNamingTheLeader() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.node("a").campaign();
        c.stabilize();
        assertThat(c.node("b").propose(bytes("x"))).isEqualTo(new NotLeader(NodeId.of("a")));
    }

    @Test
    void readIndexIsServedAtTheLeaderAndThroughAFollower() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.node("a").campaign();
        c.stabilize();
        c.node("a").propose(bytes("x"));
        c.stabilize();
        assertThat(c.node("a").readIndex(7)).isInstanceOf(ReadIndexResult.Accepted.class);
        assertThat(c.node("b").readIndex(8)).isInstanceOf(ReadIndexResult.Accepted.class);
        c.stabilize();
        assertThat(c.reads.get(NodeId.of("a"))).containsExactly(new ReadState(7, 2));
        assertThat(c.reads.get(NodeId.of("b"))).containsExactly(new ReadState(8, 2));
    }

    @Test
    void aFollowerForwardsProposalsAndLearnsWhereTheLeaderAppendedThem() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.node("a").campaign();
        c.stabilize();
        assertThat(c.node("b").forward(42, List.of(bytes("x"), bytes("y"))))
                .isEqualTo(new ProposalResult.Forwarded(NodeId.of("a")));
        c.stabilize();
        assertThat(c.forwards.get(NodeId.of("b")))
                .containsExactly(new ForwardOutcome(42, new ProposalResult.Accepted(2, 3, 1)));
        assertThat(c.applied.get(NodeId.of("c"))).extracting(Entry::index).containsExactly(1L, 2L, 3L);
    }

    @Test
    void leadershipTransferMakesTheTargetLeader() {
        TestCluster c = new TestCluster("a", "b", "c");
        c.node("a").campaign();
        c.stabilize();
        assertThat(c.node("a").transferLeadership(NodeId.of("c"))).isEqualTo(new TransferResult.Started(NodeId.of("c")));
        c.stabilize();
        assertThat(c.node("c").role()).isEqualTo(Role.LEADER);
        assertThat(c.node("a").role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.node("a").leader()).isEqualTo(NodeId.of("c"));
    }

    @Test
    void aSingleNodeClusterElectsItselfAndCommits() {
        TestCluster c = new TestCluster("solo");
        c.node("solo").campaign();
        c.stabilize();
        assertThat(c.node("solo").role()).isEqualTo(Role.LEADER);
        c.node("solo").propose(bytes("x"));
        c.node("solo").readIndex(1);
        c.stabilize();
        assertThat(c.applied.get(NodeId.of("solo"))).hasSize(2);
        // The read arrived while "x" (index 2) was not yet committed: index 1 is its linearizable read point.
        assertThat(c.reads.get(NodeId.of("solo"))).containsExactly(new ReadState(1, 1));
    }

    @Test
    void aProposalBeyondTheUncommittedLimitIsRefusedAsOverloaded() {
        Configuration conf = Configuration.ofVoters("a", "b", "c");
        MemoryLogStorage disk = new MemoryLogStorage(conf);
        RaftNode a = new RaftNode(RaftConfig.builder("a").maxUncommittedBytes(1000).build(), disk,
                new SplittableRandom(1));
        a.campaign();
        // Win the election by hand: feed two granted pre-votes, then two votes.
        a.step(new io.raftkv.core.message.VoteResponse(NodeId.of("b"), NodeId.of("a"), 1, true, true));
        a.step(new io.raftkv.core.message.VoteResponse(NodeId.of("b"), NodeId.of("a"), 1, false, true));
        a.step(new io.raftkv.core.message.VoteResponse(NodeId.of("c"), NodeId.of("a"), 1, false, true));
        assertThat(a.role()).isEqualTo(Role.LEADER);
        assertThat(a.propose(new byte[900])).isInstanceOf(ProposalResult.Accepted.class);
        assertThat(a.propose(new byte[200])).isEqualTo(new ProposalResult.Overloaded(924, 1000));
    }
}
