package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * The answer to a {@link HeartbeatRequest}.
 *
 * @param readRound the round echoed from the request: the follower acknowledged the leader at or after it
 */
public record HeartbeatResponse(NodeId from, NodeId to, long term, long readRound) implements RaftMessage {
}
