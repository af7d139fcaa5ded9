package io.raftkv.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The application's replicated state. Every node applies the same commands in the same order, so every
 * node's state machine goes through the same states. Called from a single apply thread.
 *
 * <p>Snapshots keep the log bounded: the runtime {@linkplain #captureSnapshot() captures} the state now and
 * then, writes it out on a background thread and drops the log entries it covers. A follower too far behind,
 * or a new node, receives the leader's snapshot and {@linkplain #restore restores} from it.
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

    /**
     * The index of the last command the state reflects when the server starts: 0 for a state machine that
     * starts empty (the default); a persistent one reports what it had applied. If the latest snapshot is
     * newer, the runtime restores it before applying anything.
     */
    default long appliedIndex() {
        return 0;
    }

    /**
     * Captures the state as of the last applied command. Called on the apply thread between two
     * {@link #apply} calls, so it must be quick (a copy-on-write view, a database snapshot); the returned
     * capture is written out on another thread while applying continues, then closed.
     */
    StateCapture captureSnapshot();

    /**
     * Replaces the complete state with data written by a {@link StateCapture}. Called on the apply thread. If it
     * fails midway the state may be partial: the runtime stops, and restores again on restart (a persistent state
     * machine must make a partial restore recognisable, e.g. by reporting {@link #appliedIndex()} 0 until done).
     */
    void restore(InputStream in) throws IOException;
}
