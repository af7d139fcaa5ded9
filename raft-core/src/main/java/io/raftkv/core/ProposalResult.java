package io.raftkv.core;

/** The answer to {@link RaftNode#propose}. */
public sealed interface ProposalResult permits ProposalResult.Accepted, NotLeader, ProposalResult.Overloaded,
        ProposalResult.TransferInProgress, ProposalResult.Forwarded {

    /**
     * The entries were appended at {@code firstIndex..lastIndex} in {@code term}. They are committed if and
     * when an entry with that index and term is handed out for applying; a different entry at that index
     * means the proposal was lost with a leader change.
     */
    record Accepted(long firstIndex, long lastIndex, long term) implements ProposalResult {
    }

    /** Refused: the leader already holds {@code uncommittedBytes} of uncommitted entries (limit {@code limit}). */
    record Overloaded(long uncommittedBytes, long limit) implements ProposalResult {
    }

    /**
     * Sent to {@code leader}; its answer arrives as a {@link ForwardOutcome} in a later {@link Ready}, or the
     * forward's id appears in {@link Ready#abortedForwards()} if the leader changed first (outcome unknown).
     */
    record Forwarded(NodeId leader) implements ProposalResult {
    }

    /** Refused while leadership is being handed to {@code target}; retry at the new leader. */
    record TransferInProgress(NodeId target) implements ProposalResult {
    }
}
