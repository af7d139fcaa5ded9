package io.raftkv.transport;

import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.RaftMessage;

/**
 * One of the two connections a node keeps to each peer. They are separate TCP connections so that a large
 * replication backlog (bytes already in the bulk socket's buffers) can never delay a heartbeat or a vote.
 */
public enum Lane {
    /** Votes, heartbeats and their responses, TimeoutNow, read-index traffic, append responses. */
    CONTROL,
    /**
     * AppendEntries requests, forwarded proposals and snapshot data: potentially large, bounded per peer and
     * dropped first under backpressure.
     */
    BULK;

    /**
     * The lane a message travels on. Every {@link AppendEntriesRequest} goes on the bulk lane, including an
     * empty one (a probe or a commit update): the leader's replication stream to one follower then stays in
     * order, so a probe never overtakes the entries sent before it and provokes a spurious rejection.
     */
    public static Lane of(RaftMessage message) {
        // Forwarded proposals carry client commands (up to a value limit each): bulk, droppable like appends.
        // Snapshot data is the largest traffic of all; it must never hold up a heartbeat.
        return message instanceof AppendEntriesRequest || message instanceof io.raftkv.core.message.ProposalForward
                || message instanceof io.raftkv.core.message.SnapshotChunk ? BULK : CONTROL;
    }
}
