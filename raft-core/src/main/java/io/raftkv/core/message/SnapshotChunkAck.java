package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * A follower runtime's answer to a {@link SnapshotChunk}: how much of the snapshot's data it holds, so the
 * sender knows where to continue (flow control and resumption). Like the chunks, runtime business only.
 *
 * @param snapshotIndex the snapshot the answer is about
 * @param nextOffset    the offset of the first byte the receiver still needs
 * @param refusal       null if all is well; otherwise why the receiver gave up on this transfer (a chunk or
 *                      the whole data failed its checksum, or it could not be stored): the sender stops
 */
public record SnapshotChunkAck(NodeId from, NodeId to, long term, long snapshotIndex, long nextOffset,
                               String refusal) implements RaftMessage {
}
