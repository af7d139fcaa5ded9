package io.raftkv.testkit.sim;

/**
 * Mistakes a runtime can make in driving the core, which the simulator can make on purpose to show that its
 * checks catch them. Never used in a normal run.
 */
public enum RuntimeShortcut {
    /** Sends votes and append acknowledgements before the state they promise is durable. */
    ACK_BEFORE_SYNC,
    /** Writes term and vote without syncing them: a crash reverts the hard state to its previous value. */
    VOTE_NOT_SYNCED
}
