package io.raftkv.core;

/** The answer to {@link RaftNode#transferLeadership}. */
public sealed interface TransferResult permits TransferResult.Started, NotLeader, TransferResult.InvalidTarget {

    /**
     * The transfer is under way: proposals are refused until {@code target} takes over or an election
     * timeout passes, after which this leader resumes.
     */
    record Started(NodeId target) implements TransferResult {
    }

    /** The target cannot become leader; {@code reason} says why. */
    record InvalidTarget(NodeId target, String reason) implements TransferResult {
    }
}
