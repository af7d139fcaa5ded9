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
     * The leader refused a membership change, or the change did not complete: {@link #reason()} says why and
     * the message says what to do.
     */
    public static final class MembershipChangeRefused extends RaftException {
        private static final long serialVersionUID = 1L;

        /** Why a membership change was refused or did not complete. */
        public enum Reason {
            /** Another configuration entry is not committed yet (one change at a time); retry once it is. */
            CHANGE_IN_PROGRESS(true),
            /** The leader has not committed an entry of its own term yet; retry shortly. */
            AWAITING_TERM_COMMIT(true),
            /** Leadership is being transferred; retry at the new leader. */
            TRANSFER_IN_PROGRESS(true),
            /** The learner to promote is not caught up with the leader's log; retry later, or wait for it. */
            NOT_CAUGHT_UP(true),
            /** The change did not complete within its deadline (for an added voter: the learner never caught up). */
            TIMEOUT(true),
            /** The change does not apply to the current membership (already a member, not a member, ...). */
            INVALID(false);

            private final boolean retryable;

            Reason(boolean retryable) {
                this.retryable = retryable;
            }
        }

        private final Reason reason;

        public MembershipChangeRefused(Reason reason, String message) {
            super(message);
            this.reason = java.util.Objects.requireNonNull(reason, "reason");
        }

        /** Why. */
        public Reason reason() {
            return reason;
        }

        /** True if the same change may succeed later (a change in progress, a new leader's first commit, ...). */
        public boolean retryable() {
            return reason.retryable;
        }
    }
}
