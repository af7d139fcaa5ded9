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
 * @param configuration    the membership in force (its latest configuration entry's, committed or not)
 * @param configurationIndex the index of the entry that configuration comes from (the snapshot's index if it
 *                         comes from the snapshot; 0 for the bootstrap membership)
 * @param configurationChangePending true if that entry is not known to be committed yet: a leader refuses
 *                         another change until it is
 * @param transferTarget   when leader: the node leadership is being transferred to, or null
 * @param followers        when leader: its view of every other member, in id order; otherwise empty
 */
public record Status(NodeId id, Role role, long term, NodeId votedFor, NodeId leader, long commitIndex,
                     long appliedIndex, long lastIndex, long persistedIndex, long snapshotIndex,
                     Configuration configuration, long configurationIndex, boolean configurationChangePending,
                     NodeId transferTarget, List<FollowerStatus> followers) {
}
