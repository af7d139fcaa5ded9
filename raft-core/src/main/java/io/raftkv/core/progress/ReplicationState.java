package io.raftkv.core.progress;

/** How the leader currently replicates to one follower. */
public enum ReplicationState {
    /**
     * The leader does not know where the follower's log matches its own: one append at a time, waiting for
     * each answer (or the next heartbeat answer) before sending the next.
     */
    PROBE,
    /** The logs are known to match up to the match index: appends are pipelined up to the in-flight window. */
    REPLICATE,
    /**
     * The follower needs entries the leader has compacted: a snapshot is on its way, and nothing else is sent
     * (heartbeats aside) until the follower acknowledges it or the runtime reports that sending failed.
     */
    SNAPSHOT
}
