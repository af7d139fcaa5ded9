package io.raftkv.bench.load;

import io.raftkv.bench.load.target.ClusterSnapshot;
import io.raftkv.bench.load.target.NodeSnapshot;

/**
 * The leader and its term as the members reported them at one moment. A cell whose observation after differs
 * from the one before saw an election, which makes its figures meaningless.
 *
 * @param leaderId the leader, or null if no member claimed to lead
 * @param term     the leader's term (without a leader, the highest term any member reported)
 */
public record LeaderObservation(String leaderId, long term) {

    /** What {@code snapshot} says. */
    public static LeaderObservation of(ClusterSnapshot snapshot) {
        return snapshot.leader().map(l -> new LeaderObservation(l.id(), l.term()))
                .orElseGet(() -> new LeaderObservation(null,
                        snapshot.nodes().stream().mapToLong(NodeSnapshot::term).max().orElse(0)));
    }

    /** For reports: "n1@3", or "none@3". */
    @Override
    public String toString() {
        return (leaderId == null ? "none" : leaderId) + "@" + term;
    }
}
