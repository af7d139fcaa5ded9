package io.raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.core.log.MemoryLogStorage;
import io.raftkv.core.message.RaftMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Leader leases: a leader holds a lease only while a majority answers its heartbeats, and the lease ends
 * before any other node can become leader, so a lease read never misses a newer leader's writes.
 */
class LeaseReadTest {

    private final Map<NodeId, RaftNode> nodes = new LinkedHashMap<>();
    private final Map<NodeId, MemoryLogStorage> disks = new HashMap<>();
    private NodeId cutOff;

    private void start(String... ids) {
        Configuration conf = Configuration.ofVoters(ids);
        for (String s : ids) {
            MemoryLogStorage disk = new MemoryLogStorage(conf);
            disks.put(NodeId.of(s), disk);
            nodes.put(NodeId.of(s), new RaftNode(RaftConfig.builder(s).leaseReads(true).build(), disk,
                    new SplittableRandom(s.hashCode())));
        }
    }

    /** One tick on every node, then deliver everything (except to and from the cut-off node) until quiet. */
    private void tickAndSettle() {
        nodes.values().forEach(RaftNode::tick);
        for (int round = 0; round < 20; round++) {
            List<RaftMessage> out = new ArrayList<>();
            for (Map.Entry<NodeId, RaftNode> e : nodes.entrySet()) {
                RaftNode n = e.getValue();
                while (n.hasReady()) {
                    Ready r = n.ready();
                    out.addAll(r.messages());
                    if (r.hardState() != null) {
                        disks.get(e.getKey()).setHardState(r.hardState());
                    }
                    disks.get(e.getKey()).append(r.entries());
                    out.addAll(r.messagesAfterPersist());
                    if (!r.committedEntries().isEmpty()) {
                        n.appliedTo(r.committedEntries().get(r.committedEntries().size() - 1).index());
                    }
                    n.advance(r);
                }
            }
            for (RaftMessage m : out) {
                if (!m.from().equals(cutOff) && !m.to().equals(cutOff)) {
                    nodes.get(m.to()).step(m);
                }
            }
        }
    }

    private RaftNode leader() {
        return nodes.values().stream().filter(n -> n.role() == Role.LEADER && !n.id().equals(cutOff)).findFirst()
                .orElse(null);
    }

    @Test
    void theLeaseHoldsWhileAMajorityAnswersAndEndsBeforeAnotherLeaderIsElected() {
        start("a", "b", "c");
        int tick = 0;
        while (leader() == null && tick < 100) {
            tickAndSettle();
            tick++;
        }
        RaftNode old = leader();
        assertThat(old).isNotNull();
        for (int i = 0; i < 5; i++) {
            tickAndSettle();
        }
        assertThat(old.hasLease()).as("lease after a few acknowledged heartbeats").isTrue();
        assertThat(old.leaseRead(1)).isInstanceOf(ReadIndexResult.Accepted.class);

        cutOff = old.id();
        int lostLeaseAt = -1;
        int newLeaderAt = -1;
        for (int t = 1; t <= 60 && newLeaderAt < 0; t++) {
            tickAndSettle();
            if (lostLeaseAt < 0 && !old.hasLease()) {
                lostLeaseAt = t;
            }
            if (leader() != null) {
                newLeaderAt = t;
                assertThat(old.hasLease()).as("old leader's lease when a new leader exists").isFalse();
            }
        }
        assertThat(lostLeaseAt).as("the old leader loses its lease").isPositive();
        assertThat(newLeaderAt).as("a new leader is elected").isPositive();
        assertThat(lostLeaseAt).as("the lease ends before the new leader is elected").isLessThan(newLeaderAt);
    }

    @Test
    void aFreshlyStartedNodeRefusesVotesForOneElectionTimeout() {
        start("a", "b", "c");
        RaftNode a = nodes.get(NodeId.of("a"));
        a.campaign(); // asks for pre-votes at once; b and c have just started and must not grant them
        tickAndSettle();
        assertThat(a.role()).isNotEqualTo(Role.LEADER);
        assertThat(a.term()).isZero();
    }
}
