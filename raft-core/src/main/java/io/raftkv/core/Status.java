package io.raftkv.core;

import java.util.List;

/**
 * A snapshot of a node's state, for operators and tests.
 *
 * @param id               this node
 * @param role             its role
 * @param term             its current term
 * @param votedFor         its vote in that term, or null
 * @param leader           the leader it knows of, or null
 * @param commitIndex      highest index known committed
 * @param appliedIndex     highest index the runtime reported applied
 * @param lastIndex        last index in its log (persisted or not)
 * @param persistedIndex   last index acknowledged as persisted
 * @param snapshotIndex    last index covered by the snapshot the log starts after (0: none)
 * @param configuration    the membership it works with
 * @param transferTarget   when leader: the node leadership is being transferred to, or null
 * @param followers        when leader: its view of every other member, in id order; otherwise empty
 */
public record Status(NodeId id, Role role, long term, NodeId votedFor, NodeId leader, long commitIndex,
                     long appliedIndex, long lastIndex, long persistedIndex, long snapshotIndex,
                     Configuration configuration,
                     NodeId transferTarget, List<FollowerStatus> followers) {
}
