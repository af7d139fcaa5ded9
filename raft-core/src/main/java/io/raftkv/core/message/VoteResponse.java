package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * The answer to a {@link VoteRequest}.
 *
 * @param term    for a granted vote, the election's term; for a rejection, the responder's current term
 * @param preVote answers a pre-vote request
 * @param granted whether the vote (or pre-vote) is granted
 */
public record VoteResponse(NodeId from, NodeId to, long term, boolean preVote, boolean granted)
        implements RaftMessage {
}
