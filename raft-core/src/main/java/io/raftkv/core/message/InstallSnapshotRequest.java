package io.raftkv.core.message;

import io.raftkv.core.NodeId;
import io.raftkv.core.SnapshotMeta;

/**
 * The leader's instruction to a follower that needs entries the leader has compacted away: replace your log
 * with this snapshot. The core describes the snapshot; the runtime moves its data (in checksummed
 * {@link SnapshotChunk}s) and steps this request into the follower's core only once the data has arrived
 * whole and verified. The follower answers with an {@link AppendEntriesResponse} whose match index is the
 * snapshot's index (or its commit index, if that is already further).
 *
 * @param snapshot what the snapshot covers
 */
public record InstallSnapshotRequest(NodeId from, NodeId to, long term, SnapshotMeta snapshot)
        implements RaftMessage {
}
