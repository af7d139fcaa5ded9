package io.raftkv.kv.server.service;

import io.raftkv.core.Configuration;
import io.raftkv.core.FollowerStatus;
import io.raftkv.core.NodeId;
import io.raftkv.core.Role;
import io.raftkv.core.Status;
import io.raftkv.core.membership.MembershipChange;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.server.RaftException;
import io.raftkv.server.RaftException.MembershipChangeRefused.Reason;
import io.raftkv.server.RaftServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Changing the cluster while it serves: the membership as this node sees it, single-server changes (add a
 * learner or a voter, promote, remove) and leadership transfer. Each change completes once it is committed and
 * applied on this node (the leader), and fails with a {@link KvException} (not the leader, no leader) or a
 * {@link RaftException.MembershipChangeRefused} whose reason says why: another change in progress, the leader's
 * first commit pending, a transfer under way, the learner not caught up, an invalid change, or a timeout.
 */
public final class ClusterAdmin {

    /** One member as this node sees it. {@code match} and {@code caughtUp} are known at the leader only. */
    public record Member(NodeId id, boolean voter, String peerAddress, Long match, Boolean caughtUp) {
    }

    /** The membership as this node sees it (the configuration in force here, which may not be committed yet). */
    public record Membership(String clusterId, NodeId self, NodeId leader, long term, long configurationIndex,
                             boolean changePending, List<Member> members) {
    }

    private final RaftServer<KvResult> raft;
    private final String clusterId;

    public ClusterAdmin(RaftServer<KvResult> raft, String clusterId) {
        this.raft = Objects.requireNonNull(raft, "raft");
        this.clusterId = clusterId;
    }

    /** The membership in force on this node, with replication progress when it is the leader. */
    public Membership members() {
        Status s = raft.status();
        Set<NodeId> caughtUp = raft.caughtUpLearners();
        boolean leader = s.role() == Role.LEADER;
        Configuration c = s.configuration();
        List<Member> members = new ArrayList<>();
        for (NodeId id : c.members()) {
            Long match = null;
            if (leader) {
                match = id.equals(s.id()) ? s.lastIndex() : matchOf(s, id);
            }
            Boolean caught = leader && c.learners().contains(id) ? caughtUp.contains(id) : null;
            members.add(new Member(id, c.isVoter(id), c.addressOf(id), match, caught));
        }
        return new Membership(clusterId, s.id(), s.leader(), s.term(), s.configurationIndex(),
                s.configurationChangePending(), members);
    }

    private static Long matchOf(Status s, NodeId id) {
        for (FollowerStatus f : s.followers()) {
            if (f.id().equals(id)) {
                return f.match();
            }
        }
        return null;
    }

    /**
     * Adds {@code member} reached at {@code peerAddress}: as a learner, or as a voter (a learner first, promoted
     * once it has caught up, which may take as long as sending it a snapshot: hence {@code timeout}).
     */
    public CompletableFuture<Configuration> add(NodeId member, String peerAddress, boolean voter, Duration timeout) {
        CompletableFuture<Configuration> f = voter
                ? raft.addVoter(member, peerAddress, timeout)
                : raft.changeMembership(new MembershipChange.AddLearner(member, peerAddress));
        return bounded(f, timeout, "adding " + member);
    }

    /** Removes {@code member} (a voter, the leader included, or a learner). */
    public CompletableFuture<Configuration> remove(NodeId member, Duration timeout) {
        return bounded(raft.changeMembership(new MembershipChange.RemoveMember(member)), timeout,
                "removing " + member);
    }

    /** Promotes the learner {@code member} to voter; refused unless it has caught up. */
    public CompletableFuture<Configuration> promote(NodeId member, Duration timeout) {
        return bounded(raft.changeMembership(new MembershipChange.PromoteLearner(member)), timeout,
                "promoting " + member);
    }

    /** Hands leadership to {@code target}; completes once this node sees it lead. */
    public CompletableFuture<Void> transferLeadership(NodeId target) {
        return raft.transferLeadership(target).handle((v, e) -> {
            if (e != null) {
                throw translate(e, "transferring leadership to " + target);
            }
            return v;
        });
    }

    private <T> CompletableFuture<T> bounded(CompletableFuture<T> f, Duration timeout, String what) {
        // The change itself may still commit after this gives up: the caller is told the outcome is unknown.
        return f.orTimeout(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS).handle((v, e) -> {
            if (e != null) {
                throw translate(e, what);
            }
            return v;
        });
    }

    private static RuntimeException translate(Throwable error, String what) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RaftException.MembershipChangeRefused r) {
            return r;
        }
        if (t instanceof RaftException.NotLeader nl) {
            return nl.leaderHint() == null
                    ? new KvException(ErrorCode.UNAVAILABLE, "no leader is known right now; retry shortly")
                    : new KvException(ErrorCode.NOT_LEADER, "this node is not the leader; send " + what
                    + " to the leader, " + nl.leaderHint(), nl.leaderHint());
        }
        if (t instanceof TimeoutException) {
            return new RaftException.MembershipChangeRefused(Reason.TIMEOUT, what + " did not complete within its "
                    + "timeout (no quorum?); it may still take effect: check GET /v1/cluster/members");
        }
        if (t instanceof RaftException.LeadershipChanged lc) {
            return new RaftException.MembershipChangeRefused(Reason.TIMEOUT, what + " did not complete: "
                    + lc.getMessage());
        }
        if (t instanceof RaftException.Stopped s) {
            return new KvException(ErrorCode.UNAVAILABLE, "this node is stopped: " + s.getMessage());
        }
        if (t instanceof IllegalArgumentException ia) {
            return new RaftException.MembershipChangeRefused(Reason.INVALID, ia.getMessage());
        }
        return t instanceof RuntimeException re ? re : new CompletionException(t);
    }
}
