package io.raftkv.core;

/**
 * What became of a proposal forwarded with {@link RaftNode#forward}: the leader's answer, as a
 * {@link ProposalResult} ({@link ProposalResult.Accepted} with the index and term to watch for, or a refusal).
 *
 * @param forwardId the id given to {@link RaftNode#forward}
 * @param result    the leader's answer
 */
public record ForwardOutcome(long forwardId, ProposalResult result) {
}
