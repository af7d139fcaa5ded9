package io.raftkv.core;

/**
 * What a node must persist before it acts on it: the current term and the vote cast in that term.
 * Losing either could let a node vote twice in one term.
 *
 * @param term     the latest term this node has seen (0 for a brand-new node)
 * @param votedFor the candidate voted for in {@code term}, or {@code null}
 */
public record HardState(long term, NodeId votedFor) {

    /** The state of a node that has never seen a term. */
    public static final HardState INITIAL = new HardState(0, null);

    public HardState {
        if (term < 0) {
            throw new IllegalArgumentException("term must be >= 0, got " + term);
        }
    }
}
