package io.raftkv.bench.load.target;

import java.util.Map;
import java.util.Objects;

/**
 * What one member said about itself at one moment.
 *
 * @param endpoint    the client endpoint that answered
 * @param id          the member's id (raftkv node id; etcd member id in hex)
 * @param role        "leader", "follower", ... as the member reports it
 * @param term        its current Raft term
 * @param leaderId    the leader it knows of, or null
 * @param commitIndex its commit index (etcd: its raft index)
 * @param appliedIndex the index it has applied
 * @param counters    further numeric figures the member exposes (raftkv: every number in {@code /v1/status},
 *                    by dotted path; etcd: selected Prometheus counters), for the server side's view
 */
public record NodeSnapshot(String endpoint, String id, String role, long term, String leaderId, long commitIndex,
                           long appliedIndex, Map<String, Double> counters) {

    public NodeSnapshot {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        counters = Map.copyOf(counters);
    }

    /** Whether the member says it leads. */
    public boolean isLeader() {
        return "leader".equals(role);
    }
}
