package io.raftkv.core.read;

import io.raftkv.core.NodeId;
import io.raftkv.core.ReadState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every ReadIndex request a node is tracking, in the stages it passes through:
 *
 * <ol>
 *   <li>(leader) waiting until the leader has committed an entry of its own term, because before that its
 *       commit index may lag behind entries earlier leaders committed;</li>
 *   <li>(leader) holding a read index but not yet part of a heartbeat round;</li>
 *   <li>(leader) in a round, waiting for a quorum to acknowledge it; one round serves every read that joined
 *       it, so a burst of reads costs one heartbeat per follower;</li>
 *   <li>(follower) forwarded to the leader, waiting for its answer;</li>
 *   <li>(any node) confirmed at an index, waiting until the node has applied that far.</li>
 * </ol>
 */
public final class ReadBarriers {

    /** A read at the leader. {@code origin} is null for the leader's own reads, else the asking follower. */
    public record LeaderRead(long requestId, NodeId origin, long index, long round) {
    }

    private final List<LeaderRead> waitingForTermCommit = new ArrayList<>();
    private final List<LeaderRead> unassigned = new ArrayList<>();
    private final ArrayDeque<LeaderRead> awaitingQuorum = new ArrayDeque<>();
    private long round;
    private final Set<Long> forwarded = new LinkedHashSet<>();
    private final List<ReadState> awaitingApply = new ArrayList<>();

    /** The latest round started (0 if none). */
    public long round() {
        return round;
    }

    /** Stage 1: the leader has not committed in its term yet. */
    public void waitForTermCommit(long requestId, NodeId origin) {
        waitingForTermCommit.add(new LeaderRead(requestId, origin, 0, 0));
    }

    /** Moves every stage-1 read to stage 2 with {@code commitIndex} as its read index. */
    public void termCommitted(long commitIndex) {
        for (LeaderRead r : waitingForTermCommit) {
            unassigned.add(new LeaderRead(r.requestId(), r.origin(), commitIndex, 0));
        }
        waitingForTermCommit.clear();
    }

    /** Stage 2: a read whose index is known and that needs a quorum round. */
    public void awaitRound(long requestId, NodeId origin, long index) {
        unassigned.add(new LeaderRead(requestId, origin, index, 0));
    }

    /** True if some reads wait for a new heartbeat round. */
    public boolean needsRound() {
        return !unassigned.isEmpty();
    }

    /** Starts a round for every stage-2 read and returns its number. */
    public long startRound() {
        round++;
        for (LeaderRead r : unassigned) {
            awaitingQuorum.add(new LeaderRead(r.requestId(), r.origin(), r.index(), round));
        }
        unassigned.clear();
        return round;
    }

    /** Removes and returns every read of a round at or below {@code confirmedRound}. */
    public List<LeaderRead> confirm(long confirmedRound) {
        List<LeaderRead> done = new ArrayList<>();
        while (!awaitingQuorum.isEmpty() && awaitingQuorum.peekFirst().round() <= confirmedRound) {
            done.add(awaitingQuorum.pollFirst());
        }
        return done;
    }

    /** Removes and returns every leader-side read (leadership is lost). */
    public List<LeaderRead> abortLeaderReads() {
        List<LeaderRead> all = new ArrayList<>(waitingForTermCommit);
        all.addAll(unassigned);
        all.addAll(awaitingQuorum);
        waitingForTermCommit.clear();
        unassigned.clear();
        awaitingQuorum.clear();
        return all;
    }

    /** Stage 4: a read forwarded to the leader. */
    public void forwarded(long requestId) {
        forwarded.add(requestId);
    }

    /** Takes a forwarded read off the list; false if it was not there (answered or aborted already). */
    public boolean answered(long requestId) {
        return forwarded.remove(requestId);
    }

    /** Removes and returns every forwarded read (the leader changed; their answers may never come). */
    public List<Long> abortForwarded() {
        List<Long> ids = new ArrayList<>(forwarded);
        forwarded.clear();
        return ids;
    }

    /** Stage 5: a confirmed read waiting for the apply cursor. */
    public void awaitApply(long requestId, long index) {
        awaitingApply.add(new ReadState(requestId, index));
    }

    /** True if a stage-5 read can be released at {@code applied}. */
    public boolean hasReleasable(long applied) {
        for (ReadState r : awaitingApply) {
            if (r.index() <= applied) {
                return true;
            }
        }
        return false;
    }

    /** Removes and returns the stage-5 reads whose index is at most {@code applied}, in arrival order. */
    public List<ReadState> release(long applied) {
        List<ReadState> out = new ArrayList<>();
        Iterator<ReadState> it = awaitingApply.iterator();
        while (it.hasNext()) {
            ReadState r = it.next();
            if (r.index() <= applied) {
                out.add(r);
                it.remove();
            }
        }
        return out;
    }

    /** Number of reads tracked in any stage. */
    public int size() {
        return waitingForTermCommit.size() + unassigned.size() + awaitingQuorum.size() + forwarded.size()
                + awaitingApply.size();
    }
}
