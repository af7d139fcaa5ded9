package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * A request for a vote (or, with {@code preVote}, a question whether the receiver would vote).
 *
 * @param term               the term of the election (for a pre-vote: the sender's term + 1, not adopted by anyone)
 * @param lastLogIndex       index of the candidate's last entry
 * @param lastLogTerm        term of the candidate's last entry
 * @param preVote            true for the pre-vote phase, which changes no term and no vote
 * @param leadershipTransfer true if the current leader asked for this election, so receivers must not ignore
 *                           it on the grounds that they still hear from a leader
 */
public record VoteRequest(NodeId from, NodeId to, long term, long lastLogIndex, long lastLogTerm, boolean preVote,
                          boolean leadershipTransfer) implements RaftMessage {
}
