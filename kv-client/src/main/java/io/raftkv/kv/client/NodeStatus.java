package io.raftkv.kv.client;

import java.util.List;
import java.util.Objects;

/**
 * What one node says about itself.
 *
 * @param id            the node's id
 * @param role          "leader", "follower", "candidate" or "learner"
 * @param term          its current term
 * @param leaderId      the leader it knows of, or null
 * @param commitIndex   highest log index it knows committed
 * @param appliedIndex  highest index it applied
 * @param lastIndex     last index in its log
 * @param snapshotIndex index of its latest snapshot (0 if the server does not report it)
 * @param members       the cluster's members as this node sees them
 */
public record NodeStatus(String id, String role, long term, String leaderId, long commitIndex, long appliedIndex,
                         long lastIndex, long snapshotIndex, List<Member> members) {

    /**
     * One member of the cluster.
     *
     * @param id   its node id
     * @param role "voter" or "learner"
     */
    public record Member(String id, String role) {
    }

    public NodeStatus {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        members = List.copyOf(members);
    }

    /** Whether the node says it is the leader. */
    public boolean isLeader() {
        return "leader".equals(role);
    }
}
