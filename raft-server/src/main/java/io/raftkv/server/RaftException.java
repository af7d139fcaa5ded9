package io.raftkv.server;

import io.raftkv.core.NodeId;

/**
 * Why a request to the Raft server failed. Each subclass says what to do: retry elsewhere, retry later, or
 * give up.
 */
public abstract sealed class RaftException extends RuntimeException
        permits RaftException.NotLeader, RaftException.Overloaded, RaftException.LeadershipChanged,
        RaftException.Stopped, RaftException.MembershipChangeRefused {
    private static final long serialVersionUID = 1L;

    RaftException(String message) {
        super(message);
    }

    /** This node is not the leader; {@link #leaderHint()} is the leader it knows of (may be null). */
    public static final class NotLeader extends RaftException {
        private static final long serialVersionUID = 1L;
        private final transient NodeId leaderHint;

        public NotLeader(NodeId leaderHint) {
            super(leaderHint == null ? "no leader is known right now; retry shortly"
                    : "this node is not the leader; retry at " + leaderHint);
            this.leaderHint = leaderHint;
        }

        public NodeId leaderHint() {
            return leaderHint;
        }
    }

    /** Too much is pending; retry after a pause. */
    public static final class Overloaded extends RaftException {
        private static final long serialVersionUID = 1L;

        public Overloaded(String message) {
            super(message + "; retry after a pause");
        }
    }

    /**
     * Leadership changed before the request completed. Unless {@link #notApplied()}, a proposal may or may not
     * have been committed: retry only if the command is idempotent or deduplicated (client sessions).
     */
    public static final class LeadershipChanged extends RaftException {
        private static final long serialVersionUID = 1L;
        private final boolean notApplied;

        /** The outcome is unknown. */
        public LeadershipChanged(String message) {
            this(message, false);
        }

        public LeadershipChanged(String message, boolean notApplied) {
            super(message);
            this.notApplied = notApplied;
        }

        /** True if the proposal is known never to be applied (another entry took its place): retrying is safe. */
        public boolean notApplied() {
            return notApplied;
        }
    }

    /** The server has stopped (closed, or failed on a storage error or broken invariant). */
    public static final class Stopped extends RaftException {
        private static final long serialVersionUID = 1L;

        public Stopped(String message) {
            super(message);
        }
    }

    /**
     * The leader refused a membership change: another change is not committed yet, the leader has not yet
     * committed an entry of its term (retry shortly), a leadership transfer is under way, or the change does not
     * apply to the current membership. The message says which.
     */
    public static final class MembershipChangeRefused extends RaftException {
        private static final long serialVersionUID = 1L;
        private final boolean retryable;

        public MembershipChangeRefused(String message, boolean retryable) {
            super(message);
            this.retryable = retryable;
        }

        /** True if the same change may succeed later (a change in progress, a new leader's first commit). */
        public boolean retryable() {
            return retryable;
        }
    }
}
