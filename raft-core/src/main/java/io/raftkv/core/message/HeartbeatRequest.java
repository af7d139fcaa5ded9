package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * The leader's periodic "I am still leader", which also confirms pending read barriers.
 *
 * @param commit    the leader's commit index capped at what this follower is known to hold, so the follower
 *                  never commits an entry it has not been shown to match
 * @param readRound the latest read-barrier round; the response echoes it
 */
public record HeartbeatRequest(NodeId from, NodeId to, long term, long commit, long readRound)
        implements RaftMessage {
}
