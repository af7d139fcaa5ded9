package io.raftkv.core.message;

import io.raftkv.core.NodeId;

/**
 * The answer to an {@link AppendEntriesRequest}.
 *
 * <p>On success, {@code matchIndex} is the index up to which the follower's log now equals the leader's.
 * On rejection, {@code rejectedIndex} is the request's {@code prevLogIndex} and ({@code hintIndex},
 * {@code hintTerm}) is the follower's last entry at or below it whose term is not greater than the request's
 * {@code prevLogTerm}: the leader can skip every entry above the hint in one round trip (fast backtracking)
 * instead of stepping back one entry at a time.
 */
public record AppendEntriesResponse(NodeId from, NodeId to, long term, boolean success, long matchIndex,
                                    long rejectedIndex, long hintIndex, long hintTerm) implements RaftMessage {

    /** A successful answer. */
    public static AppendEntriesResponse accepted(NodeId from, NodeId to, long term, long matchIndex) {
        return new AppendEntriesResponse(from, to, term, true, matchIndex, 0, 0, 0);
    }

    /** A rejection carrying a backtracking hint. */
    public static AppendEntriesResponse rejected(NodeId from, NodeId to, long term, long rejectedIndex,
                                                 long hintIndex, long hintTerm) {
        return new AppendEntriesResponse(from, to, term, false, 0, rejectedIndex, hintIndex, hintTerm);
    }
}
