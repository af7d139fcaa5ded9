package io.raftkv.server;

import io.raftkv.core.FollowerStatus;
import io.raftkv.core.NodeId;
import io.raftkv.core.Role;
import io.raftkv.core.Status;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * At the leader, which learners have caught up with the log: a learner is caught up once it has been
 * replicating, answering, and within {@code marginEntries} of the leader's last index for {@code requiredTicks}
 * ticks in a row. Only
 * such a learner is promoted to voter: a voter that is far behind would count towards the majority without
 * being able to acknowledge new entries, and with one more voter needed for a majority the cluster could stop
 * committing until it catches up (Raft dissertation, section 4.2.1). Loop thread only.
 */
final class LearnerCatchUp {

    private final long marginEntries;
    private final long requiredTicks;
    /** Learner -> the tick since which it has been within the margin (absent: not within it now). */
    private final Map<NodeId, Long> withinMarginSince = new HashMap<>();
    /** Learner -> the last tick at which the core reported it active (heard from). */
    private final Map<NodeId, Long> lastHeardFrom = new HashMap<>();
    private volatile Set<NodeId> caughtUp = Set.of();

    LearnerCatchUp(long marginEntries, long requiredTicks) {
        this.marginEntries = marginEntries;
        this.requiredTicks = requiredTicks;
    }

    /** Updates the tracking from the node's status at tick {@code tick}. */
    void observe(long tick, Status status) {
        if (status.role() != Role.LEADER) {
            if (!withinMarginSince.isEmpty() || !caughtUp.isEmpty()) {
                withinMarginSince.clear();
                lastHeardFrom.clear();
                caughtUp = Set.of();
            }
            return;
        }
        Set<NodeId> learners = status.configuration().learners();
        withinMarginSince.keySet().retainAll(learners);
        lastHeardFrom.keySet().retainAll(learners);
        Set<NodeId> now = new TreeSet<>();
        for (FollowerStatus f : status.followers()) {
            if (!learners.contains(f.id())) {
                continue;
            }
            // Replicating (its log is known to match up to match) and heard from lately: a learner that is down
            // or still being probed is not caught up, however short the log. The core clears its "active" flag
            // at every check-quorum round, so "lately" means within the last requiredTicks ticks.
            if (f.active()) {
                lastHeardFrom.put(f.id(), tick);
            }
            Long heard = lastHeardFrom.get(f.id());
            boolean live = "replicate".equals(f.state()) && heard != null && tick - heard <= requiredTicks;
            if (live && status.lastIndex() - f.match() <= marginEntries) {
                long since = withinMarginSince.computeIfAbsent(f.id(), k -> tick);
                if (tick - since >= requiredTicks) {
                    now.add(f.id());
                }
            } else {
                withinMarginSince.remove(f.id());
            }
        }
        caughtUp = Set.copyOf(now);
    }

    /** True if {@code learner} is caught up (as of the last observation). */
    boolean isCaughtUp(NodeId learner) {
        return caughtUp.contains(learner);
    }

    /** The caught-up learners (any thread). */
    Set<NodeId> caughtUp() {
        return caughtUp;
    }

    /** Why {@code learner} is not caught up, for the operator. */
    String whyNotCaughtUp(NodeId learner, Status status) {
        for (FollowerStatus f : status.followers()) {
            if (f.id().equals(learner)) {
                long behind = status.lastIndex() - f.match();
                return "learner " + learner + " has not caught up: its log matches the leader's up to index "
                        + f.match() + " of " + status.lastIndex() + " (" + behind + " behind; promotion needs at most "
                        + marginEntries + " behind for " + requiredTicks + " ticks in a row)";
            }
        }
        return "learner " + learner + " has not caught up: the leader has no replication progress for it yet";
    }
}
