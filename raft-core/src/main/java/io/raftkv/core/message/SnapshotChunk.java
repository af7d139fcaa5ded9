package io.raftkv.core.message;

import io.raftkv.core.NodeId;
import io.raftkv.core.SnapshotMeta;

/**
 * One piece of a snapshot's data on its way from the leader's runtime to a follower's runtime. The core never
 * sees these (it only decides that a snapshot must be sent, with {@link InstallSnapshotRequest}); they belong
 * to the message family so that one transport carries everything between peers.
 *
 * <p>A transfer starts with a chunk at offset 0 with no data (an offer): the receiver answers with the offset
 * it already holds for this same snapshot, so a transfer cut off midway resumes instead of starting over.
 *
 * @param snapshot   the snapshot the data belongs to
 * @param totalBytes the length of the whole data
 * @param totalCrc   CRC32C of the whole data, verified before the snapshot is installed
 * @param offset     where {@code data} starts
 * @param data       the bytes (empty for an offer)
 * @param crc        CRC32C of {@code data}, verified on arrival
 */
public record SnapshotChunk(NodeId from, NodeId to, long term, SnapshotMeta snapshot, long totalBytes,
                            long totalCrc, long offset, byte[] data, long crc) implements RaftMessage {

    /** True if this chunk ends the data. */
    public boolean last() {
        return offset + data.length == totalBytes;
    }
}
