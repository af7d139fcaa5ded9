package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * The leader's answer to a {@link ReadIndexRequest}: once the follower has applied up to {@code readIndex},
 * it may serve the read locally.
 *
 * @param requestId the id from the request
 * @param readIndex the commit index confirmed by a quorum; meaningless when {@code success} is false
 * @param success   false if the leader lost leadership before it could confirm the read
 */
public record ReadIndexResponse(NodeId from, NodeId to, long term, long requestId, long readIndex, boolean success)
        implements RaftMessage {
}
