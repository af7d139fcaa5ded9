package io.raftkv.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The application's replicated state. Every node applies the same commands in the same order, so every
 * node's state machine goes through the same states. Called from a single apply thread.
 *
 * @param <R> the result of applying one command, returned to whoever proposed it
 */
public interface StateMachine<R> {

    /**
     * Applies committed commands in log order and returns one result per command, in the same order. Must be
     * deterministic: the result and the new state may depend only on the state and the command (and its index).
     * A state machine that persists its state across restarts must skip commands at or below the index it
     * already applied (the log is replayed from the last snapshot on restart).
     */
    List<R> apply(List<Command> commands);

    /** Writes the complete state as of the last applied command. */
    void writeSnapshot(OutputStream out) throws IOException;

    /** Replaces the complete state with a snapshot written by {@link #writeSnapshot}. */
    void restore(InputStream in) throws IOException;
}
