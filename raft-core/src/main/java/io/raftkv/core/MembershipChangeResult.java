package io.raftkv.core;

/** The answer to {@link RaftNode#proposeMembershipChange}. */
public sealed interface MembershipChangeResult permits MembershipChangeResult.Accepted, NotLeader,
        MembershipChangeResult.ChangeInProgress, MembershipChangeResult.AwaitingTermCommit,
        MembershipChangeResult.Invalid, MembershipChangeResult.TransferInProgress {

    /**
     * The configuration entry was appended at {@code index} in {@code term}; {@code configuration} is in force
     * on the leader from now on. The change is committed if and when an entry with that index and term is
     * handed out for applying; another entry there means it was lost with a leader change.
     */
    record Accepted(long index, long term, Configuration configuration) implements MembershipChangeResult {
    }

    /** Refused: the configuration entry at {@code pendingIndex} is not committed yet (one change at a time). */
    record ChangeInProgress(long pendingIndex) implements MembershipChangeResult {
    }

    /**
     * Refused: this leader has not yet committed an entry of its own term. Until it has, a configuration entry
     * of an earlier leader that it does not hold may still be in force on other nodes, and a change on top of
     * a different one could make two disjoint majorities (the single-server change bug; its no-op commits
     * within a heartbeat round or two, then retry).
     */
    record AwaitingTermCommit(long term) implements MembershipChangeResult {
    }

    /** Refused: the change does not apply to the current configuration; {@code reason} says why. */
    record Invalid(String reason) implements MembershipChangeResult {
    }

    /** Refused while leadership is being handed to {@code target}; retry at the new leader. */
    record TransferInProgress(NodeId target) implements MembershipChangeResult {
    }
}
