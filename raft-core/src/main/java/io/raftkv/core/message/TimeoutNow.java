package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/** The leader tells an up-to-date follower to start an election at once (leadership transfer). */
public record TimeoutNow(NodeId from, NodeId to, long term) implements RaftMessage {
}
