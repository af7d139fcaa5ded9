package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * A follower asks the leader for a read index on behalf of one of its readers.
 *
 * @param requestId the follower's id for the read, echoed in the response
 */
public record ReadIndexRequest(NodeId from, NodeId to, long term, long requestId) implements RaftMessage {
}
