package io.raftkv.core;

/**
 * The request needs the leader and this node is not it.
 *
 * @param leaderHint the leader this node knows of, or {@code null} if it knows none (an election is under way)
 */
public record NotLeader(NodeId leaderHint) implements ProposalResult, ReadIndexResult, TransferResult,
        MembershipChangeResult {
}
