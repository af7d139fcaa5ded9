package io.raftkv.core;

/**
 * Protocol mechanisms that the test suite switches off, one at a time, to prove that the scenario written
 * for each one really depends on it (a test that passes with the mechanism removed proves nothing).
 * Switching any of them off in production is unsafe or slow; {@link RaftConfig} names the setting
 * accordingly. Pre-vote and check-quorum are ordinary settings of {@link RaftConfig} and are not listed here.
 */
public enum Mechanism {
    /**
     * A leader commits by counting replicas only an entry of its own term (Raft paper, section 5.4.2).
     * Without it the Figure 8 anomaly loses committed entries.
     */
    CURRENT_TERM_COMMIT_RULE,
    /**
     * A rejected append carries a (term, index) hint so the leader skips a whole term per round trip.
     * Without it the leader steps back one entry per round trip.
     */
    FAST_BACKTRACKING,
    /**
     * A new leader proposes a membership change only after it has committed an entry of its own term (the fix
     * to the single-server change bug, Ongaro 2015). Without it, a change of an earlier leader that only some
     * nodes hold and the new leader's change can both be in force with disjoint majorities.
     */
    MEMBERSHIP_CHANGE_AFTER_TERM_COMMIT
}
