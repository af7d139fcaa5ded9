package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * The leader's answer to a {@link ProposalForward}: where it appended the commands, or why it did not.
 *
 * @param forwardId     the id from the forward
 * @param refusal       0 if appended; otherwise 1 not leader, 2 overloaded, 3 leadership transfer in progress
 * @param firstIndex    index of the first command (if appended)
 * @param lastIndex     index of the last command (if appended)
 * @param proposalTerm  the term the commands were appended in (if appended)
 */
public record ProposalForwardResponse(NodeId from, NodeId to, long term, long forwardId, int refusal,
                                      long firstIndex, long lastIndex, long proposalTerm) implements RaftMessage {

    /** Refusal code: the receiver was not the leader. */
    public static final int NOT_LEADER = 1;
    /** Refusal code: the leader holds too many uncommitted bytes. */
    public static final int OVERLOADED = 2;
    /** Refusal code: the leader is handing leadership over. */
    public static final int TRANSFER_IN_PROGRESS = 3;
}
