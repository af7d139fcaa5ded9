package io.raftkv.core.message;

import io.raftkv.core.Entry;
import io.raftkv.core.NodeId;
import java.util.List;

/**
 * The leader's request to append {@code entries} after the entry ({@code prevLogIndex}, {@code prevLogTerm}).
 * An empty list only probes consistency or carries the commit index.
 *
 * @param prevLogIndex index of the entry just before {@code entries}
 * @param prevLogTerm  term of that entry
 * @param entries      consecutive entries starting at {@code prevLogIndex + 1}
 * @param leaderCommit the leader's commit index
 */
public record AppendEntriesRequest(NodeId from, NodeId to, long term, long prevLogIndex, long prevLogTerm,
                                   List<Entry> entries, long leaderCommit) implements RaftMessage {

    /** Index of the last entry carried, or {@code prevLogIndex} when empty. */
    public long lastIndex() {
        return prevLogIndex + entries.size();
    }
}
