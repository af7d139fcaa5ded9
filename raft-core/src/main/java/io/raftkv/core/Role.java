package io.raftkv.core;

/** The role a node currently plays. */
public enum Role {
    /** Follows a leader; becomes a pre-candidate (or candidate) when it stops hearing from one. */
    FOLLOWER,
    /** Asks whether it could win an election without disturbing anybody's term (pre-vote). */
    PRE_CANDIDATE,
    /** Has incremented its term and asks for votes. */
    CANDIDATE,
    /** Accepts proposals and replicates the log. */
    LEADER,
    /** Receives the log but neither votes nor campaigns (a non-voting member). */
    LEARNER
}
