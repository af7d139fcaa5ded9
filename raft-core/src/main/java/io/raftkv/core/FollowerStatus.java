package io.raftkv.core;

/**
 * The leader's view of one follower.
 *
 * @param id       the follower
 * @param state    {@code probe} or {@code replicate}
 * @param match    index up to which its log is known to equal the leader's
 * @param next     next index the leader will send
 * @param inflight appends sent and not yet acknowledged
 * @param active   heard from since the last check-quorum round
 */
public record FollowerStatus(NodeId id, String state, long match, long next, int inflight, boolean active) {
}
