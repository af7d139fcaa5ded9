package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * Every message Raft peers exchange. Messages are plain immutable values: the core produces them in a
 * {@link io.raftkv.core.Ready} and consumes them in {@link io.raftkv.core.RaftNode#step}; the runtime only
 * carries them.
 */
public sealed interface RaftMessage
        permits VoteRequest, VoteResponse, AppendEntriesRequest, AppendEntriesResponse, HeartbeatRequest,
        HeartbeatResponse, TimeoutNow, ReadIndexRequest, ReadIndexResponse, ProposalForward, ProposalForwardResponse,
        InstallSnapshotRequest, SnapshotChunk, SnapshotChunkAck {

    /** The sender. */
    NodeId from();

    /** The receiver. */
    NodeId to();

    /** The sender's term (for a pre-vote request, the term it would campaign in). */
    long term();
}
