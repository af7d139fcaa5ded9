package io.raftkv.core;

import io.raftkv.core.log.LogStorage;
import io.raftkv.core.log.LogView;
import io.raftkv.core.log.RaftLog;
import io.raftkv.core.membership.ConfigurationHistory;
import io.raftkv.core.membership.MembershipChange;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.HeartbeatRequest;
import io.raftkv.core.message.HeartbeatResponse;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.ProposalForward;
import io.raftkv.core.message.ProposalForwardResponse;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.SnapshotChunk;
import io.raftkv.core.message.SnapshotChunkAck;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import io.raftkv.core.progress.FollowerProgress;
import io.raftkv.core.progress.ReplicationState;
import io.raftkv.core.quorum.MajorityQuorum;
import io.raftkv.core.quorum.VoteTally;
import io.raftkv.core.read.ReadBarriers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * One Raft node as a pure, deterministic state machine. It has no threads, no clock, no sockets and no files:
 * the runtime feeds it {@link #tick() ticks}, {@link #step(RaftMessage) messages}, {@link #propose proposals}
 * and {@link #readIndex read requests}, and collects what must be done as a {@link Ready}, confirming it with
 * {@link #advance(Ready)}. Given the same inputs and the same random source it always produces the same
 * outputs, which is what lets the simulator test it under thousands of fault schedules.
 *
 * <p>Not thread-safe: one thread owns a node.
 *
 * <p>Implements leader election with randomized timeouts, pre-vote and check-quorum; log replication with
 * per-follower progress, pipelining within a bounded window, batching under a byte limit and fast
 * backtracking; commitment by counting only entries of the current term; snapshots sent to followers that need
 * compacted entries; ReadIndex with one heartbeat round per batch of reads and forwarding from followers;
 * leadership transfer; single-server membership changes with learners (a configuration is in force from the
 * moment its entry is in the log).
 */
public final class RaftNode {

    private final RaftConfig config;
    private final NodeId id;
    private final RandomGenerator random;
    private final RaftLog log;
    /** Every configuration entry in the log after the snapshot; the latest one is {@link #membership}. */
    private final ConfigurationHistory configurations;
    /** The membership in force: quorums, elections, reads and replication all use it. */
    private Configuration membership;
    /** A snapshot from the leader that the next Ready must hand to the runtime to install, or null. */
    private SnapshotMeta snapshotToInstall;

    private long term;
    private NodeId votedFor;
    /** The hard state last handed out for persisting (or read at start). */
    private HardState handedOutHardState;

    private Role role;
    private NodeId leader;
    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    private VoteTally votes;

    /** Leader only: one entry per other member, in id order so output is deterministic. */
    private final Map<NodeId, FollowerProgress> progress = new TreeMap<>();
    private NodeId transferTarget;
    private final UncommittedBytes uncommitted = new UncommittedBytes();
    private long[] quorumScratch;

    private final ReadBarriers reads = new ReadBarriers();
    /** Ticks since this node object started (for the boot-time vote refusal that protects leases). */
    private long ticksSinceStart;
    /** Leader only: ticks since becoming leader, and when each heartbeat round was sent, oldest first. */
    private long leaderTicks;
    private final java.util.ArrayDeque<long[]> roundSentAt = new java.util.ArrayDeque<>();
    /** Leader only: the leader tick at which the newest majority-acknowledged round was sent, or -1. */
    private long leaseFrom = -1;

    private List<RaftMessage> messages = new ArrayList<>();
    private List<RaftMessage> messagesAfterPersist = new ArrayList<>();
    private List<Long> abortedReads = new ArrayList<>();
    private final List<ForwardOutcome> forwardOutcomes = new ArrayList<>();
    private final List<Long> abortedForwards = new ArrayList<>();
    /** Forwards sent to the current leader and not yet answered. */
    private final java.util.LinkedHashSet<Long> pendingForwards = new java.util.LinkedHashSet<>();
    private Ready outstanding;

    /**
     * Creates a node that resumes from what {@code storage} holds (term, vote, membership and log).
     *
     * @param config  settings; {@code config.id()} is this node
     * @param storage the durable state to start from; the runtime keeps writing to it as Readys instruct
     * @param random  the source of election-timeout randomness (seeded, so runs can be replayed)
     */
    public RaftNode(RaftConfig config, LogStorage storage, RandomGenerator random) {
        this.config = Objects.requireNonNull(config, "config");
        this.id = config.id();
        this.random = Objects.requireNonNull(random, "random");
        this.log = new RaftLog(Objects.requireNonNull(storage, "storage"));
        this.configurations = new ConfigurationHistory(storage.snapshot(), storage.configurationEntries());
        this.membership = configurations.current();
        HardState hs = storage.hardState();
        this.term = hs.term();
        this.votedFor = hs.votedFor();
        this.handedOutHardState = hs;
        this.quorumScratch = new long[Math.max(1, membership.voters().size())];
        becomeFollower(term, null);
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /** Advances logical time by one tick: elections, heartbeats, check-quorum and transfer timeouts. */
    public void tick() {
        ticksSinceStart++;
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            electionElapsed++;
            if (promotable() && electionElapsed >= randomizedElectionTimeout) {
                campaign(false);
            }
        }
    }

    /** Starts an election now, as if the election timeout had fired (ignored if this node cannot vote). */
    public void campaign() {
        if (role != Role.LEADER) {
            campaign(false);
        }
    }

    /**
     * Proposes one command. See {@link #propose(List)}.
     */
    public ProposalResult propose(byte[] command) {
        return propose(List.of(command));
    }

    /**
     * Proposes commands as consecutive log entries: at the leader they are appended at once and replicated in
     * the next {@link Ready}, so many proposals between two Readys travel in one message per follower.
     */
    public ProposalResult propose(List<byte[]> commands) {
        if (role != Role.LEADER) {
            return new NotLeader(leader);
        }
        if (transferTarget != null) {
            return new ProposalResult.TransferInProgress(transferTarget);
        }
        if (commands.isEmpty()) {
            throw new IllegalArgumentException("propose needs at least one command");
        }
        long bytes = 0;
        for (byte[] c : commands) {
            bytes += (long) c.length + Entry.OVERHEAD_BYTES;
        }
        if (uncommitted.total() > 0 && uncommitted.total() + bytes > config.maxUncommittedBytes()) {
            return new ProposalResult.Overloaded(uncommitted.total(), config.maxUncommittedBytes());
        }
        long first = log.lastIndex() + 1;
        List<Entry> entries = new ArrayList<>(commands.size());
        long index = first;
        for (byte[] c : commands) {
            entries.add(Entry.command(index++, term, Objects.requireNonNull(c, "command")));
        }
        log.append(entries);
        uncommitted.add(index - 1, bytes);
        return new ProposalResult.Accepted(first, index - 1, term);
    }

    /**
     * Proposes commands through whichever node is leader: at the leader this is {@link #propose(List)}; at a
     * follower that knows the leader, the commands are sent to it and {@link ProposalResult.Forwarded} is
     * returned, the leader's answer arriving later as a {@link ForwardOutcome} identified by {@code forwardId}
     * (unique among this node's pending forwards).
     */
    public ProposalResult forward(long forwardId, List<byte[]> commands) {
        if (role == Role.LEADER) {
            return propose(commands);
        }
        if (leader == null) {
            return new NotLeader(null);
        }
        if (commands.isEmpty()) {
            throw new IllegalArgumentException("forward needs at least one command");
        }
        pendingForwards.add(forwardId);
        send(new ProposalForward(id, leader, term, forwardId, List.copyOf(commands)));
        return new ProposalResult.Forwarded(leader);
    }

    /**
     * Requests a linearizable read barrier identified by {@code requestId} (unique among this node's pending
     * reads). When a later {@link Ready} lists it in {@link Ready#readStates()}, local state reflects every
     * write committed before this call. Followers forward the request to the leader.
     */
    public ReadIndexResult readIndex(long requestId) {
        if (role == Role.LEADER) {
            registerLeaderRead(requestId, null);
            return new ReadIndexResult.Accepted();
        }
        if (leader == null) {
            return new NotLeader(null);
        }
        reads.forwarded(requestId);
        send(new ReadIndexRequest(id, leader, term, requestId));
        return new ReadIndexResult.Accepted();
    }

    /**
     * A read served from the leader's lease, without a heartbeat round, when the lease holds: a majority
     * acknowledged a heartbeat sent less than {@code electionTicks - }{@link RaftConfig#LEASE_MARGIN_TICKS}
     * ticks ago, so no other leader can have been elected since (followers ignore candidates for an election
     * timeout after hearing from a leader). Requires {@link RaftConfig#leaseReads()}; linearizable as long as
     * tick rates differ by less than the margin. Otherwise behaves as {@link #readIndex}.
     */
    public ReadIndexResult leaseRead(long requestId) {
        if (hasLease()) {
            reads.awaitApply(requestId, log.commitIndex());
            return new ReadIndexResult.Accepted();
        }
        return readIndex(requestId);
    }

    /** True if this node is leader and its lease holds (see {@link #leaseRead}). */
    public boolean hasLease() {
        return role == Role.LEADER && config.leaseReads() && transferTarget == null && leaseFrom >= 0
                && log.term(log.commitIndex()) == term
                && leaderTicks - leaseFrom < config.electionTicks() - RaftConfig.LEASE_MARGIN_TICKS;
    }

    /**
     * Hands leadership to {@code target}: proposals are refused while the target is brought up to date and
     * then told to start an election at once. If that has not happened within an election timeout, this
     * leader resumes normal operation.
     */
    public TransferResult transferLeadership(NodeId target) {
        if (role != Role.LEADER) {
            return new NotLeader(leader);
        }
        if (target.equals(id)) {
            return new TransferResult.InvalidTarget(target, "it is already the leader");
        }
        if (!membership.isVoter(target)) {
            return new TransferResult.InvalidTarget(target, "it is not a voting member");
        }
        if (target.equals(transferTarget)) {
            return new TransferResult.Started(target);
        }
        transferTarget = target;
        electionElapsed = 0; // the transfer gives up after one election timeout from now
        FollowerProgress pr = progress.get(target);
        if (pr.match() == log.lastIndex()) {
            send(new TimeoutNow(id, target, term));
        } else {
            pr.setAppendWanted(true);
        }
        return new TransferResult.Started(target);
    }

    /**
     * Proposes a single-server membership change (Raft dissertation, chapter 4): at the leader, appends a
     * configuration entry carrying the whole new configuration, which is in force on this leader at once (and
     * on each follower as soon as the entry reaches its log); the leader starts replicating to an added
     * member and stops replicating to a removed one right away. One change at a time: refused while an
     * earlier configuration entry is not committed, and until this leader has committed an entry of its own
     * term. A leader that removes itself keeps leading until the new configuration is committed (without
     * counting itself), then steps down.
     */
    public MembershipChangeResult proposeMembershipChange(MembershipChange change) {
        Objects.requireNonNull(change, "change");
        if (role != Role.LEADER) {
            return new NotLeader(leader);
        }
        if (transferTarget != null) {
            return new MembershipChangeResult.TransferInProgress(transferTarget);
        }
        if (configurations.currentIndex() > log.commitIndex()) {
            return new MembershipChangeResult.ChangeInProgress(configurations.currentIndex());
        }
        if (log.term(log.commitIndex()) != term && config.enabled(Mechanism.MEMBERSHIP_CHANGE_AFTER_TERM_COMMIT)) {
            return new MembershipChangeResult.AwaitingTermCommit(term);
        }
        MembershipChange.Outcome outcome = change.applyTo(membership);
        if (outcome instanceof MembershipChange.Refusal r) {
            return new MembershipChangeResult.Invalid(r.reason());
        }
        Configuration next = ((MembershipChange.Changed) outcome).configuration();
        Entry entry = Entry.configuration(log.lastIndex() + 1, term, next);
        log.append(List.of(entry));
        uncommitted.add(entry.index(), entry.sizeBytes());
        configurations.appended(entry);
        membershipChanged();
        return new MembershipChangeResult.Accepted(entry.index(), term, next);
    }

    /**
     * Reports how sending a snapshot to {@code follower} ended (the runtime moves snapshot data, so only it
     * knows). After a failure the leader probes the follower again from its match index (and sends a new
     * snapshot if it still needs one); after a success it probes from just after the snapshot. Either way it
     * waits for the follower's next heartbeat answer first, so a follower that keeps failing is not flooded.
     * The runtime must report every transfer it was asked for: until then the follower gets only heartbeats.
     */
    public void reportSnapshot(NodeId follower, boolean success) {
        if (role != Role.LEADER) {
            return;
        }
        FollowerProgress pr = progress.get(follower);
        if (pr != null && pr.state() == ReplicationState.SNAPSHOT) {
            pr.snapshotEnded(success);
        }
    }

    /**
     * Feeds a message from a peer.
     *
     * @throws IllegalArgumentException if the message is not addressed to this node
     * @throws RaftInvariantViolation   if the message would break a safety invariant (a second leader in
     *                                  this node's term, or a request to replace committed entries)
     */
    public void step(RaftMessage m) {
        if (!m.to().equals(id)) {
            throw new IllegalArgumentException("message for " + m.to() + " delivered to " + id + ": " + m);
        }
        if (m instanceof SnapshotChunk || m instanceof SnapshotChunkAck) {
            throw new IllegalArgumentException("snapshot data is the runtime's to handle, not the core's: " + m);
        }
        if (m.from().equals(id)) {
            return;
        }
        if (m.term() > term) {
            if (m instanceof VoteRequest v && !v.leadershipTransfer() && inLeaderLease()) {
                // We heard from a leader less than an election timeout ago: this candidate is disruptive
                // (partitioned, or removed), so neither its term nor its request counts.
                return;
            }
            if (m instanceof VoteRequest v && v.preVote()) {
                // A pre-vote never changes anybody's term.
            } else if (m instanceof VoteResponse r && r.preVote() && r.granted()) {
                // A granted pre-vote carries the term we would campaign in; we adopt it only by winning.
            } else if (fromLeader(m)) {
                becomeFollower(m.term(), m.from());
            } else {
                becomeFollower(m.term(), null);
            }
        } else if (m.term() < term) {
            if (fromLeader(m)) {
                // A stale leader: tell it our term so that it steps down.
                send(AppendEntriesResponse.rejected(id, m.from(), term, 0, 0, 0));
            } else if (m instanceof VoteRequest v) {
                // Tell a stale candidate our term (Raft section 5.1). Without it, two voters whose configurations
                // differ (one lags behind a membership change and asks other nodes) can keep raising their
                // terms in step, the one never hearing of the other's, and no election ever succeeds.
                send(new VoteResponse(id, m.from(), term, v.preVote(), false));
            }
            return;
        }

        if (m instanceof VoteRequest v) {
            handleVoteRequest(v);
        } else if (m instanceof VoteResponse r) {
            handleVoteResponse(r);
        } else if (m instanceof AppendEntriesRequest a) {
            acceptLeader(a.from());
            handleAppendEntries(a);
        } else if (m instanceof HeartbeatRequest h) {
            acceptLeader(h.from());
            handleHeartbeat(h);
        } else if (m instanceof InstallSnapshotRequest r) {
            acceptLeader(r.from());
            handleInstallSnapshot(r);
        } else if (m instanceof AppendEntriesResponse r) {
            if (role == Role.LEADER) {
                handleAppendResponse(r);
            }
        } else if (m instanceof HeartbeatResponse r) {
            if (role == Role.LEADER) {
                handleHeartbeatResponse(r);
            }
        } else if (m instanceof TimeoutNow) {
            if (promotable() && role == Role.FOLLOWER) {
                campaign(true);
            }
        } else if (m instanceof ReadIndexRequest r) {
            if (role == Role.LEADER) {
                registerLeaderRead(r.requestId(), r.from());
            } else {
                send(new ReadIndexResponse(id, r.from(), term, r.requestId(), 0, false));
            }
        } else if (m instanceof ProposalForward f) {
            handleProposalForward(f);
        } else if (m instanceof ProposalForwardResponse r) {
            if (pendingForwards.remove(r.forwardId())) {
                forwardOutcomes.add(new ForwardOutcome(r.forwardId(), switch (r.refusal()) {
                    case 0 -> new ProposalResult.Accepted(r.firstIndex(), r.lastIndex(), r.proposalTerm());
                    case ProposalForwardResponse.OVERLOADED -> new ProposalResult.Overloaded(0, 0);
                    case ProposalForwardResponse.TRANSFER_IN_PROGRESS -> new ProposalResult.TransferInProgress(null);
                    default -> new NotLeader(null);
                }));
            }
        } else if (m instanceof ReadIndexResponse r) {
            if (reads.answered(r.requestId())) {
                if (r.success()) {
                    reads.awaitApply(r.requestId(), r.readIndex());
                } else {
                    abortedReads.add(r.requestId());
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    /** True if {@link #ready()} has something to hand out (always false while a Ready is outstanding). */
    public boolean hasReady() {
        if (outstanding != null) {
            return false;
        }
        return hardStateChanged() || snapshotToInstall != null || log.hasUnstable() || !messages.isEmpty() || !messagesAfterPersist.isEmpty()
                || log.hasEntriesToApply() || reads.hasReleasable(log.appliedIndex()) || !abortedReads.isEmpty()
                || !forwardOutcomes.isEmpty() || !abortedForwards.isEmpty()
                || (role == Role.LEADER && replicationPending());
    }

    /**
     * Collects everything the runtime must now do. At a leader this is also when replication messages are
     * built, so every proposal since the previous Ready travels in one append per follower.
     *
     * @throws IllegalStateException if the previous Ready has not been advanced
     */
    public Ready ready() {
        if (outstanding != null) {
            throw new IllegalStateException("the previous Ready must be advanced before asking for another");
        }
        if (role == Role.LEADER) {
            flushReplication();
        }
        HardState hs = hardStateChanged() ? new HardState(term, votedFor) : null;
        List<Entry> entries = log.hasUnstable() ? log.unstableEntries() : List.of();
        List<Entry> toApply = log.hasEntriesToApply() ? log.entriesToApply(config.maxApplyBytes()) : List.of();
        if (!toApply.isEmpty()) {
            log.applyingTo(toApply.get(toApply.size() - 1).index());
        }
        List<ReadState> released = reads.hasReleasable(log.appliedIndex())
                ? reads.release(log.appliedIndex()) : List.of();
        SnapshotMeta snapshot = snapshotToInstall;
        snapshotToInstall = null;
        Ready ready = new Ready(hs, snapshot, entries, take(messages), take(messagesAfterPersist), toApply, released,
                abortedReads.isEmpty() ? List.of() : List.copyOf(abortedReads),
                forwardOutcomes.isEmpty() ? List.of() : List.copyOf(forwardOutcomes),
                abortedForwards.isEmpty() ? List.of() : List.copyOf(abortedForwards));
        forwardOutcomes.clear();
        abortedForwards.clear();
        messages = new ArrayList<>();
        messagesAfterPersist = new ArrayList<>();
        abortedReads.clear();
        if (hs != null) {
            handedOutHardState = hs;
        }
        outstanding = ready;
        return ready;
    }

    /**
     * Confirms that the runtime has carried out {@code ready}: its hard state and entries are durable and its
     * messages sent. Its committed entries counted as handed out for applying from the moment {@link #ready()}
     * returned them; report their application with {@link #appliedTo(long)}, before or after this call.
     */
    public void advance(Ready ready) {
        if (ready != outstanding) {
            throw new IllegalArgumentException("advance must be given the Ready last returned by ready()");
        }
        outstanding = null;
        if (ready.snapshot() != null) {
            log.snapshotInstalled(ready.snapshot());
        }
        // Entries replaced by a step while this Ready was out are not stable, but the ones before them are.
        // Marking that prefix matters: handed out again, durable (maybe acknowledged) entries would be
        // rewritten, and a torn rewrite could lose them.
        List<Entry> written = ready.entries();
        int matching = 0;
        while (matching < written.size()
                && log.term(written.get(matching).index()) == written.get(matching).term()) {
            matching++;
        }
        if (matching > 0) {
            Entry last = written.get(matching - 1);
            log.stableTo(last.index(), last.term());
        }
        if (role == Role.LEADER) {
            maybeCommit(); // our own log now counts up to what is persisted
        }
    }

    /** Reports that the state machine has applied every entry up to {@code index}. */
    public void appliedTo(long index) {
        log.appliedTo(index);
    }

    // ------------------------------------------------------------------------------------------------ views

    /** This node's id. */
    public NodeId id() {
        return id;
    }

    /** Current role. */
    public Role role() {
        return role;
    }

    /** Current term. */
    public long term() {
        return term;
    }

    /** The leader this node knows of, or null. */
    public NodeId leader() {
        return leader;
    }

    /** A read-only view of the log (including entries not yet persisted). */
    public LogView log() {
        return log;
    }

    /** The node's state for operators and tests. */
    public Status status() {
        List<FollowerStatus> followers = new ArrayList<>();
        if (role == Role.LEADER) {
            for (FollowerProgress pr : progress.values()) {
                followers.add(new FollowerStatus(pr.id(), pr.state().name().toLowerCase(java.util.Locale.ROOT),
                        pr.match(), pr.next(), pr.inflight().count(), pr.recentActive()));
            }
        }
        return new Status(id, role, term, votedFor, leader, log.commitIndex(), log.appliedIndex(),
                log.lastIndex(), log.persistedIndex(), log.snapshot().index(), membership,
                configurations.currentIndex(), configurations.currentIndex() > log.commitIndex(), transferTarget,
                List.copyOf(followers));
    }

    /** The membership in force on this node (its latest configuration entry's, or its snapshot's). */
    public Configuration configuration() {
        return membership;
    }

    /**
     * The index of the configuration entry the membership in force comes from (the snapshot's index if it
     * comes from the snapshot, 0 for the bootstrap membership); see {@link Status#configurationIndex()}.
     */
    public long configurationIndex() {
        return configurations.currentIndex();
    }

    /**
     * The membership in force at {@code index}: that of the latest configuration entry at or before it. What a
     * snapshot of the state at {@code index} must record; known from the snapshot the log starts after on.
     *
     * @throws IllegalArgumentException if {@code index} is before that snapshot
     */
    public Configuration configurationAt(long index) {
        return configurations.at(index);
    }

    // ------------------------------------------------------------------------------------------------ roles

    private boolean promotable() {
        return membership.isVoter(id);
    }

    private boolean inLeaderLease() {
        if (config.leaseReads() && ticksSinceStart < config.electionTicks()) {
            return true; // we may have acknowledged a leader's lease just before a restart: do not vote yet
        }
        return config.checkQuorum() && leader != null && electionElapsed < config.electionTicks();
    }

    private void becomeFollower(long newTerm, NodeId newLeader) {
        if (role == Role.LEADER) {
            stepDownAsLeader();
        }
        if (newTerm != term) {
            term = newTerm;
            votedFor = null;
        }
        role = membership.learners().contains(id) ? Role.LEARNER : Role.FOLLOWER;
        setLeader(newLeader);
        votes = null;
        resetTimers();
    }

    private void becomePreCandidate() {
        role = Role.PRE_CANDIDATE;
        setLeader(null);
        votes = new VoteTally(membership.voters());
        resetTimers();
    }

    private void becomeCandidate() {
        term++;
        votedFor = id;
        role = Role.CANDIDATE;
        setLeader(null);
        votes = new VoteTally(membership.voters());
        resetTimers();
    }

    private void becomeLeader() {
        role = Role.LEADER;
        setLeader(id);
        votes = null;
        resetTimers();
        transferTarget = null;
        uncommitted.reset();
        progress.clear();
        leaderTicks = 0;
        roundSentAt.clear();
        leaseFrom = -1;
        long next = log.lastIndex() + 1;
        for (NodeId member : membership.members()) {
            if (!member.equals(id)) {
                progress.put(member, newFollowerProgress(member, next));
            }
        }
        // The no-op lets this leader commit (and so learn the commit index of) entries of earlier terms.
        log.append(List.of(Entry.noop(next, term)));
        maybeCommit(); // a single-voter cluster commits as soon as the no-op is persisted
    }

    private void stepDownAsLeader() {
        for (ReadBarriers.LeaderRead r : reads.abortLeaderReads()) {
            if (r.origin() == null) {
                abortedReads.add(r.requestId());
            } else {
                messagesAfterPersist.add(new ReadIndexResponse(id, r.origin(), term, r.requestId(), 0, false));
            }
        }
        progress.clear();
        transferTarget = null;
        uncommitted.reset();
    }

    /**
     * The membership in force may have changed (an entry appended or truncated, a snapshot installed): quorum
     * arithmetic, this node's role and, at a leader, the set of followers replicated to follow it.
     */
    private void membershipChanged() {
        Configuration now = configurations.current();
        if (now.equals(membership)) {
            return;
        }
        membership = now;
        if (quorumScratch.length < membership.voters().size()) {
            quorumScratch = new long[membership.voters().size()];
        }
        if (role == Role.LEADER) {
            long next = log.lastIndex() + 1;
            progress.keySet().removeIf(member -> !membership.contains(member));
            for (NodeId member : membership.members()) {
                if (!member.equals(id) && !progress.containsKey(member)) {
                    progress.put(member, newFollowerProgress(member, next));
                }
            }
            if (transferTarget != null && !membership.isVoter(transferTarget)) {
                transferTarget = null;
            }
            // The leader's own quorum may have changed (a voter removed or added): recount.
            maybeCommit();
        } else if (role == Role.FOLLOWER || role == Role.LEARNER) {
            role = membership.learners().contains(id) ? Role.LEARNER : Role.FOLLOWER;
        }
    }

    /**
     * The configuration that removed this leader is committed: its members go on without it. The most
     * up-to-date voter is told to campaign at once, so the cluster need not wait for an election timeout.
     */
    private void stepDownRemoved() {
        FollowerProgress successor = null;
        for (FollowerProgress pr : progress.values()) {
            if (membership.isVoter(pr.id()) && (successor == null || pr.match() > successor.match())) {
                successor = pr;
            }
        }
        if (successor != null && successor.match() == log.lastIndex()) {
            send(new TimeoutNow(id, successor.id(), term));
        }
        becomeFollower(term, null);
    }

    private FollowerProgress newFollowerProgress(NodeId member, long next) {
        FollowerProgress pr = new FollowerProgress(member, next, config.maxInflightAppends(),
                config.maxInflightBytes());
        // Give every follower one election timeout to answer before check-quorum counts it absent.
        pr.setRecentActive(true);
        pr.setAppendWanted(true);
        return pr;
    }

    private void setLeader(NodeId newLeader) {
        if (!Objects.equals(leader, newLeader)) {
            // Answers to reads and proposals forwarded to the old leader may never come: report them.
            abortedReads.addAll(reads.abortForwarded());
            abortedForwards.addAll(pendingForwards);
            pendingForwards.clear();
        }
        leader = newLeader;
    }

    private void acceptLeader(NodeId from) {
        if (role == Role.LEADER) {
            throw new RaftInvariantViolation("election safety: " + id + " is leader of term " + term
                    + " and received a leader message from " + from + " in the same term");
        }
        if (role == Role.CANDIDATE || role == Role.PRE_CANDIDATE || !from.equals(leader)) {
            becomeFollower(term, from);
        }
        electionElapsed = 0;
    }

    private void resetTimers() {
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedElectionTimeout = config.electionTicks() + random.nextInt(config.electionTicks());
    }

    // ------------------------------------------------------------------------------------------------ election

    private void campaign(boolean transfer) {
        if (!promotable()) {
            return;
        }
        if (config.preVote() && !transfer) {
            becomePreCandidate();
            requestVotes(true, false);
        } else {
            becomeCandidate();
            requestVotes(false, transfer);
        }
    }

    /** Votes for itself and asks every other voter; a single-voter cluster wins at once. */
    private void requestVotes(boolean preVote, boolean transfer) {
        long voteTerm = preVote ? term + 1 : term;
        votes.record(id, true);
        if (votes.result() == VoteTally.Result.WON) {
            wonElection(preVote);
            return;
        }
        for (NodeId voter : membership.voters()) {
            if (!voter.equals(id)) {
                send(new VoteRequest(id, voter, voteTerm, log.lastIndex(), log.lastTerm(), preVote, transfer));
            }
        }
    }

    private void wonElection(boolean preVotePhase) {
        if (preVotePhase) {
            // The pre-vote says we could win: now raise the term and run the real election.
            becomeCandidate();
            requestVotes(false, false);
        } else {
            becomeLeader();
        }
    }

    private void handleVoteRequest(VoteRequest m) {
        boolean canVote = m.from().equals(votedFor)
                || (votedFor == null && leader == null)
                || (m.preVote() && m.term() > term);
        if (canVote && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm())) {
            send(new VoteResponse(id, m.from(), m.term(), m.preVote(), true));
            if (!m.preVote()) {
                votedFor = m.from();
                electionElapsed = 0;
            }
        } else {
            send(new VoteResponse(id, m.from(), term, m.preVote(), false));
        }
    }

    private void handleVoteResponse(VoteResponse m) {
        boolean expected = (role == Role.PRE_CANDIDATE && m.preVote()) || (role == Role.CANDIDATE && !m.preVote());
        if (!expected) {
            return;
        }
        votes.record(m.from(), m.granted());
        switch (votes.result()) {
            case WON -> wonElection(role == Role.PRE_CANDIDATE);
            case LOST -> becomeFollower(term, null);
            case PENDING -> { }
        }
    }

    // ------------------------------------------------------------------------------------------------ follower

    private void handleProposalForward(ProposalForward f) {
        ProposalResult r = role == Role.LEADER ? propose(f.commands()) : new NotLeader(leader);
        int refusal = r instanceof ProposalResult.Accepted ? 0
                : r instanceof ProposalResult.Overloaded ? ProposalForwardResponse.OVERLOADED
                : r instanceof ProposalResult.TransferInProgress ? ProposalForwardResponse.TRANSFER_IN_PROGRESS
                : ProposalForwardResponse.NOT_LEADER;
        ProposalResult.Accepted a = r instanceof ProposalResult.Accepted acc ? acc : null;
        send(new ProposalForwardResponse(id, f.from(), term, f.forwardId(), refusal, a == null ? 0 : a.firstIndex(),
                a == null ? 0 : a.lastIndex(), a == null ? 0 : a.term()));
    }

    private void handleAppendEntries(AppendEntriesRequest m) {
        if (m.prevLogIndex() < log.commitIndex()) {
            // Everything up to our commit index equals the leader's log already.
            send(AppendEntriesResponse.accepted(id, m.from(), term, log.commitIndex()));
            return;
        }
        long lastNew = log.tryAppend(m.prevLogIndex(), m.prevLogTerm(), m.entries());
        if (lastNew >= 0) {
            configurations.reconcile(log, log.snapshot(), m.entries());
            membershipChanged();
            log.commitTo(Math.min(m.leaderCommit(), lastNew));
            send(AppendEntriesResponse.accepted(id, m.from(), term, lastNew));
        } else {
            long hintIndex = log.findConflictByTerm(Math.min(m.prevLogIndex(), log.lastIndex()), m.prevLogTerm());
            long hintTerm = log.term(hintIndex);
            send(AppendEntriesResponse.rejected(id, m.from(), term, m.prevLogIndex(), hintIndex,
                    Math.max(hintTerm, 0)));
        }
    }

    /**
     * The runtime has received a snapshot's data whole and verified. Install it unless this log already has
     * what it covers: the snapshot's entries are committed, so a log that holds its last entry (same index and
     * term) agrees with it up to there and only needs its commit index moved.
     */
    private void handleInstallSnapshot(InstallSnapshotRequest m) {
        SnapshotMeta snap = m.snapshot();
        if (snap.index() <= log.commitIndex()) {
            send(AppendEntriesResponse.accepted(id, m.from(), term, log.commitIndex()));
            return;
        }
        if (log.matchTerm(snap.index(), snap.term())) {
            log.commitTo(snap.index());
            send(AppendEntriesResponse.accepted(id, m.from(), term, snap.index()));
            return;
        }
        log.restore(snap);
        snapshotToInstall = snap;
        configurations.reset(snap);
        membershipChanged();
        // Sent after the Ready that installs the snapshot is carried out: it promises the snapshot is durable.
        send(AppendEntriesResponse.accepted(id, m.from(), term, snap.index()));
    }

    private void handleHeartbeat(HeartbeatRequest m) {
        // The leader caps the commit at our known match, so every index up to it is in our log.
        if (m.commit() > log.lastIndex()) {
            throw new RaftInvariantViolation("leader " + m.from() + " knows this node to hold entries up to "
                    + m.commit() + " but its log ends at " + log.lastIndex() + ": this node lost acknowledged data "
                    + "(a wiped or restored data directory, or a disk that lied about a sync). A node that lost its "
                    + "data must not rejoin under its old id; remove it from the cluster and add it as a new member");
        }
        log.commitTo(m.commit());
        send(new HeartbeatResponse(id, m.from(), term, m.readRound()));
    }

    // ------------------------------------------------------------------------------------------------ leader

    private void tickLeader() {
        leaderTicks++;
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= config.electionTicks()) {
            electionElapsed = 0;
            if (config.checkQuorum() && !quorumActive()) {
                becomeFollower(term, null); // we cannot reach a majority: stop acting as leader
                return;
            }
            transferTarget = null; // a transfer that has not happened within an election timeout is abandoned
        }
        if (heartbeatElapsed >= config.heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat();
        }
    }

    /** Counts the voters heard from since the last check, then starts a new check period. */
    private boolean quorumActive() {
        int active = membership.isVoter(id) ? 1 : 0;
        for (FollowerProgress pr : progress.values()) {
            if (membership.isVoter(pr.id()) && pr.recentActive()) {
                active++;
            }
            pr.setRecentActive(false);
        }
        return active >= membership.quorum();
    }

    private void broadcastHeartbeat() {
        // Every heartbeat starts a round: its acknowledgement by a majority confirms the reads that joined it
        // and, sent at a known tick, renews the leader's lease.
        long round = reads.startRound();
        roundSentAt.addLast(new long[] {round, leaderTicks});
        if (roundSentAt.size() > 4L * config.electionTicks()) {
            roundSentAt.pollFirst(); // rounds nobody answers need not be remembered for ever
        }
        for (FollowerProgress pr : progress.values()) {
            send(new HeartbeatRequest(id, pr.id(), term, Math.min(pr.match(), log.commitIndex()), round));
        }
    }

    private void handleAppendResponse(AppendEntriesResponse m) {
        FollowerProgress pr = progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.setRecentActive(true);
        if (!m.success()) {
            long probeFrom;
            if (!config.enabled(Mechanism.FAST_BACKTRACKING)) {
                probeFrom = m.rejectedIndex() - 1;
            } else if (m.hintTerm() > 0) {
                // Skip every leader entry above the hint whose term is too new to match the follower's.
                probeFrom = log.findConflictByTerm(m.hintIndex(), m.hintTerm());
            } else {
                probeFrom = m.hintIndex();
            }
            if (pr.rejected(m.rejectedIndex(), probeFrom)) {
                pr.setAppendWanted(true);
            }
            return;
        }
        boolean advanced = pr.acknowledge(m.matchIndex());
        if (pr.state() == ReplicationState.SNAPSHOT && pr.match() >= pr.pendingSnapshot()) {
            pr.snapshotEnded(true); // installed: continue with the entries after it
        }
        if (pr.state() == ReplicationState.PROBE) {
            pr.resumeProbe();
            if (m.matchIndex() >= pr.match()) {
                pr.becomeReplicate();
            }
        }
        if (advanced) {
            maybeCommit();
        }
        if (m.from().equals(transferTarget) && pr.match() == log.lastIndex()) {
            send(new TimeoutNow(id, m.from(), term));
        }
    }

    private void handleHeartbeatResponse(HeartbeatResponse m) {
        FollowerProgress pr = progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.setRecentActive(true);
        pr.resumeProbe();
        if (pr.match() < log.lastIndex()) {
            if (pr.state() == ReplicationState.REPLICATE && pr.inflight().isFull()) {
                pr.inflight().freeFirst(); // an answer was probably lost; let replication move again
            }
            pr.setAppendWanted(true);
        }
        if (membership.isVoter(m.from())) {
            pr.ackReadRound(m.readRound());
            confirmReads();
        }
    }

    /** Commits the highest index a majority of voters holds, if it is of the current term. */
    private void maybeCommit() {
        int n = 0;
        for (NodeId voter : membership.voters()) {
            if (voter.equals(id)) {
                quorumScratch[n++] = log.persistedIndex();
            } else {
                quorumScratch[n++] = progress.get(voter).match();
            }
        }
        long agreed = MajorityQuorum.agreedValue(quorumScratch, n);
        if (agreed <= log.commitIndex()) {
            return;
        }
        // Raft paper 5.4.2: counting replicas is only proof of commitment for an entry of the current term.
        if (log.term(agreed) != term && config.enabled(Mechanism.CURRENT_TERM_COMMIT_RULE)) {
            return;
        }
        log.commitTo(agreed);
        uncommitted.committedTo(agreed);
        for (FollowerProgress pr : progress.values()) {
            pr.setAppendWanted(true); // followers learn the new commit index with the next append
        }
        if (!membership.isVoter(id) && configurations.currentIndex() <= agreed) {
            stepDownRemoved();
            return;
        }
        if (log.term(agreed) == term) {
            reads.termCommitted(agreed);
            if (membership.voters().size() == 1 && membership.isVoter(id)) {
                confirmReads();
            }
        }
    }

    private void registerLeaderRead(long requestId, NodeId origin) {
        if (log.term(log.commitIndex()) != term) {
            // Until its no-op commits, a new leader's commit index may be behind what was committed before.
            reads.waitForTermCommit(requestId, origin);
            return;
        }
        reads.awaitRound(requestId, origin, log.commitIndex());
        if (membership.voters().size() == 1 && membership.isVoter(id)) {
            reads.startRound();
            confirmReads();
        }
    }

    /** Releases every read whose heartbeat round a majority of voters has acknowledged. */
    private void confirmReads() {
        int n = 0;
        for (NodeId voter : membership.voters()) {
            quorumScratch[n++] = voter.equals(id) ? reads.round() : progress.get(voter).readRoundAcked();
        }
        long confirmed = MajorityQuorum.agreedValue(quorumScratch, n);
        while (!roundSentAt.isEmpty() && roundSentAt.peekFirst()[0] <= confirmed) {
            leaseFrom = Math.max(leaseFrom, roundSentAt.pollFirst()[1]);
        }
        for (ReadBarriers.LeaderRead r : reads.confirm(confirmed)) {
            if (r.origin() == null) {
                reads.awaitApply(r.requestId(), r.index());
            } else {
                send(new ReadIndexResponse(id, r.origin(), term, r.requestId(), r.index(), true));
            }
        }
    }

    /** True if a flush would send an append to some follower. */
    private boolean replicationPending() {
        if (reads.needsRound()) {
            return true;
        }
        long last = log.lastIndex();
        for (FollowerProgress pr : progress.values()) {
            if (!pr.isPaused() && (pr.next() <= last || pr.appendWanted())) {
                return true;
            }
        }
        return false;
    }

    /** Builds the appends (and a heartbeat round for new reads) that the current state calls for. */
    private void flushReplication() {
        if (reads.needsRound()) {
            broadcastHeartbeat();
        }
        for (FollowerProgress pr : progress.values()) {
            sendAppends(pr);
        }
    }

    private void sendAppends(FollowerProgress pr) {
        while (!pr.isPaused()) {
            long next = pr.next();
            boolean hasEntries = next <= log.lastIndex();
            if (!hasEntries && !pr.appendWanted()) {
                return;
            }
            long prevIndex = next - 1;
            long prevTerm = log.term(prevIndex);
            if (prevTerm < 0) {
                sendSnapshot(pr);
                return;
            }
            List<Entry> entries = hasEntries ? log.entriesFrom(next, config.maxAppendBytes()) : List.of();
            long bytes = 0;
            for (int i = 0; i < entries.size(); i++) {
                bytes += entries.get(i).sizeBytes();
            }
            send(new AppendEntriesRequest(id, pr.id(), term, prevIndex, prevTerm, entries, log.commitIndex()));
            pr.sentAppend(prevIndex + entries.size(), bytes, !entries.isEmpty());
            if (pr.state() == ReplicationState.PROBE || entries.isEmpty()) {
                return;
            }
        }
    }

    /** The follower needs entries compacted away: send the snapshot they went into instead. */
    private void sendSnapshot(FollowerProgress pr) {
        SnapshotMeta snap = log.snapshot();
        if (snap.index() == 0 || snap.index() < pr.next() - 1) {
            throw new RaftInvariantViolation("follower " + pr.id() + " needs entry " + pr.next() + " but the log "
                    + "starts at " + log.firstIndex() + " after snapshot " + snap.index());
        }
        pr.becomeSnapshot(snap.index());
        send(new InstallSnapshotRequest(id, pr.id(), term, snap));
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private void send(RaftMessage m) {
        boolean leaderReplication = role == Role.LEADER && (m instanceof AppendEntriesRequest
                || m instanceof InstallSnapshotRequest
                || m instanceof HeartbeatRequest || m instanceof TimeoutNow || m instanceof ReadIndexResponse
                || m instanceof ProposalForwardResponse);
        // A forward promises nothing about local state either, so it need not wait for a disk write.
        leaderReplication |= m instanceof ProposalForward;
        (leaderReplication ? messages : messagesAfterPersist).add(m);
    }

    /** Messages only a leader sends, which make their receiver accept the sender as leader of their term. */
    private static boolean fromLeader(RaftMessage m) {
        return m instanceof AppendEntriesRequest || m instanceof HeartbeatRequest || m instanceof InstallSnapshotRequest;
    }

    private boolean hardStateChanged() {
        return handedOutHardState.term() != term || !Objects.equals(handedOutHardState.votedFor(), votedFor);
    }

    private static <T> List<T> take(List<T> list) {
        return list.isEmpty() ? List.of() : list;
    }
}
