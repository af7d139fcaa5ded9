package io.raftkv.core.quorum;

import io.raftkv.core.NodeId;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The votes of one election, counted per voter (a duplicated response counts once, and only voters count).
 */
public final class VoteTally {

    /** Outcome of an election so far. */
    public enum Result { WON, LOST, PENDING }

    private final Set<NodeId> voters;
    private final Map<NodeId, Boolean> votes = new HashMap<>();

    public VoteTally(Set<NodeId> voters) {
        this.voters = voters;
    }

    /** Records {@code voter}'s answer; the first answer from a voter stands. */
    public void record(NodeId voter, boolean granted) {
        if (voters.contains(voter)) {
            votes.putIfAbsent(voter, granted);
        }
    }

    /** Whether a majority granted, a majority refused, or neither yet. */
    public Result result() {
        int granted = 0;
        int refused = 0;
        for (boolean g : votes.values()) {
            if (g) {
                granted++;
            } else {
                refused++;
            }
        }
        int quorum = voters.size() / 2 + 1;
        if (granted >= quorum) {
            return Result.WON;
        }
        if (refused >= quorum) {
            return Result.LOST;
        }
        return Result.PENDING;
    }

    /** Number of granted votes so far. */
    public int granted() {
        return (int) votes.values().stream().filter(g -> g).count();
    }
}
