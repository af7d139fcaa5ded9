package io.raftkv.server;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.ForwardOutcome;
import io.raftkv.core.MembershipChangeResult;
import io.raftkv.core.NodeId;
import io.raftkv.core.NotLeader;
import io.raftkv.core.ProposalResult;
import io.raftkv.core.RaftNode;
import io.raftkv.core.ReadIndexResult;
import io.raftkv.core.ReadState;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.Status;
import io.raftkv.core.TransferResult;
import io.raftkv.core.membership.MembershipChange;
import io.raftkv.server.RaftException.MembershipChangeRefused.Reason;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.SnapshotChunk;
import io.raftkv.core.message.SnapshotChunkAck;
import io.raftkv.storage.RaftStorage;
import io.raftkv.storage.snapshot.SnapshotWriter;
import io.raftkv.storage.snapshot.StoredSnapshot;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime around one {@link RaftNode}: the embedding API for an application with its own
 * {@link StateMachine}.
 *
 * <p>Threads:
 * <ul>
 *   <li>the <b>loop</b> thread owns the core and the storage. It drains its input queue in batches (every
 *       proposal, message and read that arrived since the previous turn), then handles the core's Ready:
 *       sends the leader's replication messages at once, writes hard state and entries and syncs them with
 *       one fsync for the whole turn (group commit: a burst of proposals costs one fsync and one append per
 *       follower), then sends the acknowledgements that promise that state;</li>
 *   <li>the <b>apply</b> thread applies committed entries in order and completes proposers' futures;</li>
 *   <li>a <b>timer</b> thread enqueues a tick every {@link RaftServerConfig#tick()};</li>
 *   <li>a <b>snapshot</b> thread writes out state captured by the apply thread (when the {@link SnapshotPolicy}
 *       says so, or on request), then the loop compacts the log; a <b>snapshot receiving</b> thread stages
 *       snapshot data arriving from a leader; a short-lived thread per follower streams a snapshot to a
 *       follower that needs compacted entries.</li>
 * </ul>
 *
 * <p>Every call returns a future and never blocks. A storage error or a broken Raft invariant stops the
 * server ({@link RaftException.Stopped}) rather than continuing on unknown state.
 *
 * @param <R> the state machine's result type
 */
public final class RaftServer<R> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RaftServer.class);
    private static final int MAX_TASKS_PER_TURN = 4096;

    private record PendingProposal<R>(long term, CompletableFuture<R> future) {
    }

    private record AppliedResult<R>(long term, R result) {
    }

    private static final int RECENT_RESULTS = 8192;
    /** How far behind the leader's last index a learner may be and still count as caught up. */
    static final long LEARNER_CATCH_UP_MARGIN = 1000;

    private record PendingTransfer(NodeId target, CompletableFuture<Void> future, long deadlineTick) {
    }

    /**
     * A voter being added the gentle way: first as a learner, then promoted once caught up (loop thread only).
     * {@code proposing} is true while a configuration change for it is in flight.
     */
    private static final class VoterAddition {
        final NodeId member;
        final String address;
        final CompletableFuture<Configuration> future;
        final long deadlineTick;
        final java.time.Duration timeout;
        boolean proposing;

        VoterAddition(NodeId member, String address, CompletableFuture<Configuration> future, long deadlineTick,
                      java.time.Duration timeout) {
            this.member = member;
            this.address = address;
            this.future = future;
            this.deadlineTick = deadlineTick;
            this.timeout = timeout;
        }
    }

    private final RaftServerConfig config;
    private final RaftStorage storage;
    private final StateMachine<R> stateMachine;
    private final MessageSender sender;
    private final RaftNode node;
    private final NodeId id;

    /** Work for the apply thread, in log order. */
    private sealed interface ApplyWork permits ApplyEntries, RestoreSnapshot, Wake {
    }

    private record ApplyEntries(List<Entry> entries, long bytes) implements ApplyWork {
    }

    /** Replace the state machine's state with an installed snapshot (received from the leader). */
    private record RestoreSnapshot(StoredSnapshot snapshot) implements ApplyWork {
    }

    /** Nothing to apply: look at pending snapshot requests (or wake up to stop). */
    private record Wake() implements ApplyWork {
    }

    private final BlockingQueue<Runnable> inbox;
    private final BlockingQueue<ApplyWork> applyQueue;
    /** Command bytes proposed through {@link #propose} that the loop has not taken up yet. */
    private final AtomicLong queuedProposalBytes = new AtomicLong();
    /** Entry bytes handed to the apply thread and not applied yet (the loop waits while over the limit). */
    private final AtomicLong applyQueueBytes = new AtomicLong();
    private final Map<Long, PendingProposal<R>> proposals = new ConcurrentHashMap<>();
    /** Proposals forwarded to the leader, waiting for where it appended them. */
    private final Map<Long, CompletableFuture<R>> forwards = new ConcurrentHashMap<>();
    private long nextForwardId = 1;
    /**
     * Results of recently applied entries, so that a forwarded proposal whose entry was applied here before
     * the leader's answer arrived still gets its result. Bounded to the last {@link #RECENT_RESULTS} indices.
     */
    private final Map<Long, AppliedResult<R>> recentResults = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Long>> reads = new ConcurrentHashMap<>();
    private final List<PendingTransfer> transfers = new CopyOnWriteArrayList<>();
    private final List<VoterAddition> additions = new CopyOnWriteArrayList<>();
    private final LearnerCatchUp catchUp;
    private volatile BiConsumer<Configuration, Configuration> configurationListener;
    /** Loop thread: the configurations last handed to {@link #configurationListener}. */
    private Configuration announcedConfiguration;
    private Configuration announcedCommitted;
    private long committedConfigurationCheckedAt = -1;
    private Configuration committedConfiguration;
    private long nextReadId = 1;
    /** Last index the loop wrote to storage (to recognise a batch that replaces part of the log). */
    private long lastWrittenIndex;
    private long ticks;

    private final Thread loopThread;
    private final Thread applyThread;
    private final ScheduledExecutorService timer;

    // Snapshots. Apply thread: what was applied since the last snapshot; whether one is being written.
    private long appliedIndex;
    private long appliedTerm;
    /**
     * The membership in force at {@link #appliedIndex}: what a snapshot of the applied state records. Not the
     * node's current membership, which may already include a configuration entry appended after it and not yet
     * committed (a snapshot carrying that one would make a restored node use an uncommitted configuration).
     */
    private Configuration appliedConfiguration;
    private long entriesSinceSnapshot;
    private long bytesSinceSnapshot;
    private volatile boolean snapshotInProgress;
    private final Queue<CompletableFuture<SnapshotMeta>> snapshotRequests =
            new ConcurrentLinkedQueue<>();
    /** Highest index the state machine was restored to from a received snapshot (proposals up to it are unknown). */
    private volatile long restoredThrough;
    private final ExecutorService snapshotWriter;
    private final ExecutorService snapshotReceiving;
    private final SnapshotReceiver receiver;
    /** Loop thread: a received snapshot stepped into the core this turn, installed if the core's Ready says so. */
    private SnapshotReceiver.Staged staged;
    private final SnapshotCounters snapshotCounters = new SnapshotCounters();
    private final RuntimeCounters counters = new RuntimeCounters();
    /** Loop thread: when the current turn began (the entries the leader appends in it arrived by then). */
    private long turnStartNanos;
    /** Loop thread: the leader's appended, not yet committed batches, for the commit latency counter. */
    private final PendingCommits pendingCommits = new PendingCommits(4096);
    /** Outgoing transfers by follower (created and removed on the loop thread, acknowledged from the transport). */
    private final Map<NodeId, SnapshotSender> senders = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private volatile Throwable failure;
    private volatile Status lastStatus;

    /**
     * Starts a server for the node described by {@code config.raft()}, resuming from {@code storage}, applying
     * to {@code stateMachine} and sending through {@code sender}.
     */
    public RaftServer(RaftServerConfig config, RaftStorage storage, StateMachine<R> stateMachine,
                      MessageSender sender, RandomGenerator random) {
        this.config = Objects.requireNonNull(config, "config");
        this.storage = Objects.requireNonNull(storage, "storage");
        this.stateMachine = Objects.requireNonNull(stateMachine, "state machine");
        this.sender = Objects.requireNonNull(sender, "sender");
        restoreFromLatestSnapshot(storage, stateMachine);
        this.node = new RaftNode(config.raft(), storage, random);
        this.lastWrittenIndex = storage.lastIndex();
        this.id = node.id();
        SnapshotMeta snap = storage.snapshot();
        this.appliedIndex = Math.max(stateMachine.appliedIndex(), snap.index());
        this.appliedTerm = snap.term();
        this.appliedConfiguration = node.configurationAt(appliedIndex);
        this.catchUp = new LearnerCatchUp(LEARNER_CATCH_UP_MARGIN, config.raft().electionTicks());
        this.inbox = new ArrayBlockingQueue<>(config.maxQueued());
        this.applyQueue = new LinkedBlockingQueue<>(config.maxApplyQueue());
        this.lastStatus = node.status();
        this.snapshotWriter = Executors.newSingleThreadExecutor(r -> daemon(r, "raft-snapshot-" + id));
        this.snapshotReceiving = Executors.newSingleThreadExecutor(r -> daemon(r, "raft-snapshot-in-" + id));
        this.receiver = new SnapshotReceiver(id, storage, sender, () -> lastStatus.term(), snapshotCounters,
                st -> enqueueFromApply(() -> stepReceivedSnapshot(st)));
        this.loopThread = new Thread(this::loop, "raft-loop-" + id);
        this.applyThread = new Thread(this::applyLoop, "raft-apply-" + id);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raft-timer-" + id);
            t.setDaemon(true);
            return t;
        });
        loopThread.start();
        applyThread.start();
        long tickNanos = config.tick().toNanos();
        timer.scheduleAtFixedRate(() -> enqueue(this::tick), tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    }

    // ------------------------------------------------------------------------------------------------ API

    /** This node's id. */
    public NodeId id() {
        return id;
    }

    /**
     * Proposes a command, at any node: a follower forwards it to the leader. The future completes with the state
     * machine's result once the command is committed and applied here, or fails with
     * {@link RaftException.NotLeader} (no leader known: retry shortly), {@link RaftException.Overloaded}, or
     * {@link RaftException.LeadershipChanged} (outcome unknown).
     */
    public CompletableFuture<R> propose(byte[] command) {
        CompletableFuture<R> f = new CompletableFuture<>();
        long size = command.length;
        if (applyQueueBytes.get() > config.maxApplyQueueBytes()) {
            // The state machine is behind: admitting more now would only lengthen the backlog held in memory.
            f.completeExceptionally(new RaftException.Overloaded("proposal refused: " + applyQueueBytes.get()
                    + " bytes of committed entries wait to be applied (limit " + config.maxApplyQueueBytes() + ")"));
            return f;
        }
        long queued = queuedProposalBytes.addAndGet(size);
        if (queued > config.maxQueuedProposalBytes() && queued > size) {
            // Refuse at once rather than queue: the caller (or its client) backs off and retries.
            queuedProposalBytes.addAndGet(-size);
            f.completeExceptionally(new RaftException.Overloaded("proposal refused: " + (queued - size)
                    + " bytes of proposals already wait for the Raft loop (limit " + config.maxQueuedProposalBytes()
                    + ")"));
            return f;
        }
        if (!enqueue(() -> {
            queuedProposalBytes.addAndGet(-size);
            doPropose(command, f);
        })) {
            queuedProposalBytes.addAndGet(-size);
            f.completeExceptionally(rejection("proposal"));
        }
        return f;
    }

    /**
     * A linearizable read barrier: completes (with the read index) once this node's state machine reflects
     * every write committed before this call, so a read of local state is linearizable. Works on followers
     * too (the leader is asked for the index).
     */
    public CompletableFuture<Long> readBarrier() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        if (!enqueue(() -> doRead(f, false))) {
            f.completeExceptionally(rejection("read"));
        }
        return f;
    }

    /**
     * Like {@link #readBarrier()}, but a leader whose lease holds confirms at once without a heartbeat round
     * (needs {@code leaseReads} in the core's config; see {@link RaftNode#leaseRead}). Elsewhere it is a
     * normal read barrier.
     */
    public CompletableFuture<Long> leaseReadBarrier() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        if (!enqueue(() -> doRead(f, true))) {
            f.completeExceptionally(rejection("read"));
        }
        return f;
    }

    /**
     * Hands leadership to {@code target}; completes when this node sees {@code target} as leader, fails if that
     * has not happened within two election timeouts.
     */
    public CompletableFuture<Void> transferLeadership(NodeId target) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!enqueue(() -> doTransfer(target, f))) {
            f.completeExceptionally(rejection("leadership transfer"));
        }
        return f;
    }

    /**
     * Proposes a single-server membership change at the leader (add a learner or a voter, promote a learner,
     * remove a member). Completes with the new membership once its entry is committed and applied here; fails
     * with {@link RaftException.NotLeader}, {@link RaftException.MembershipChangeRefused} (one change at a time,
     * a new leader's first commit, a transfer under way, or an invalid change) or
     * {@link RaftException.LeadershipChanged}.
     */
    public CompletableFuture<Configuration> changeMembership(
            MembershipChange change) {
        CompletableFuture<Configuration> f = new CompletableFuture<>();
        if (!enqueue(() -> doChangeMembership(change, f))) {
            f.completeExceptionally(rejection("membership change"));
        }
        return f;
    }

    /**
     * Adds {@code member} as a voter the safe way: as a learner first (unless it already is one), then, once it
     * has caught up with the log (see {@link #caughtUpLearners()}), promoted to voter. Completes with the
     * membership once the promotion is committed and applied here. Fails with {@link RaftException.NotLeader}
     * if this node is not (or stops being) the leader, with {@link RaftException.MembershipChangeRefused} if a
     * step is refused for good ({@link RaftException.MembershipChangeRefused.Reason#INVALID}), or with reason
     * {@code TIMEOUT} if the learner has not caught up within {@code timeout}; it then stays a learner.
     * Steps refused for the moment (another change in progress, a new leader's first commit) are retried.
     *
     * @param address where the member is reached (recorded in the configuration), or null
     */
    public CompletableFuture<Configuration> addVoter(NodeId member, String address, java.time.Duration timeout) {
        CompletableFuture<Configuration> f = new CompletableFuture<>();
        if (!enqueue(() -> startAddition(member, address, timeout, f))) {
            f.completeExceptionally(rejection("voter addition"));
        }
        return f;
    }

    /**
     * Learners the leader considers caught up with its log (empty at a follower): their match index has stayed
     * within {@value #LEARNER_CATCH_UP_MARGIN} entries of the leader's last index for an election timeout.
     * Only these may be promoted to voter.
     */
    public java.util.Set<NodeId> caughtUpLearners() {
        return catchUp.caughtUp();
    }

    /**
     * Calls {@code listener} on the Raft loop thread with the membership in force on this node now and the
     * latest committed one, and again every time either changes: a membership is in force from the moment its
     * configuration entry is appended to this node's log (before it commits), reverts if a log suffix holding it
     * is replaced, and changes with an installed snapshot. The transport keeps connections to the members of
     * both: a member being removed must still be reached (and answered) until its removal is committed, or a
     * leader removing itself could never learn that its removal committed. Keep it short.
     */
    public void onConfigurationChange(BiConsumer<Configuration, Configuration> listener) {
        configurationListener = Objects.requireNonNull(listener, "listener");
        enqueue(() -> {
            announcedConfiguration = null;
            announceConfiguration();
        });
    }

    /**
     * Takes a snapshot of the state machine now (in the background: applying goes on) and compacts the log.
     * Completes with what the snapshot covers once it is durable; if nothing was applied since the latest
     * snapshot, with that one.
     */
    public CompletableFuture<SnapshotMeta> takeSnapshot() {
        CompletableFuture<SnapshotMeta> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(rejection("snapshot"));
            return f;
        }
        snapshotRequests.add(f);
        applyQueue.offer(new Wake());
        return f;
    }

    /**
     * Fault injection: blocks the loop thread for {@code duration}, so the node neither ticks, nor handles
     * messages, nor writes, as a long GC pause or a stopped process would. Only for tests and demos.
     */
    public void stallLoop(java.time.Duration duration) {
        enqueue(() -> {
            try {
                Thread.sleep(duration.toMillis()); // the stall is the point: this is an injected fault
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** What this node did with snapshots since it started (for operators and tests). */
    public SnapshotCounters snapshotCounters() {
        return snapshotCounters;
    }

    /** Counts of the runtime's work since it started: batching, fsyncs, commit latency, reads (for operators). */
    public RuntimeCounters counters() {
        return counters;
    }

    /** The node's state as of the end of the latest loop turn (cheap; safe from any thread). */
    public Status status() {
        return lastStatus;
    }

    /** Delivers a message from a peer (called by the transport; never blocks; drops the message if overloaded). */
    public void receive(RaftMessage message) {
        if (!message.to().equals(id)) {
            LOG.warn("{}: dropping a message addressed to {}: {}", id, message.to(), message.getClass().getSimpleName());
            return;
        }
        if (message instanceof SnapshotChunk c) {
            // Disk writes of up to a chunk each: on their own thread, never the transport's or the loop's.
            if (running) {
                snapshotReceiving.execute(() -> receiver.receive(c));
            }
            return;
        }
        if (message instanceof SnapshotChunkAck a) {
            SnapshotSender s = senders.get(a.from());
            if (s != null) {
                s.acknowledged(a);
            }
            return;
        }
        enqueue(() -> node.step(message));
    }

    /** Why the server stopped, or null while it runs. */
    public Throwable failure() {
        return failure;
    }

    /** Stops the threads and closes the storage. Pending requests fail with {@link RaftException.Stopped}. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        timer.shutdownNow();
        for (SnapshotSender sender : senders.values()) {
            sender.cancel();
        }
        // Wake the threads instead of interrupting them: an interrupt during file I/O closes the FileChannel.
        inbox.offer(() -> { });
        applyQueue.offer(new Wake());
        snapshotReceiving.execute(receiver::discard);
        snapshotReceiving.shutdown();
        snapshotWriter.shutdown();
        try {
            loopThread.join(10_000);
            applyThread.join(10_000);
            snapshotWriter.awaitTermination(60, TimeUnit.SECONDS);
            snapshotReceiving.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failEverything(new RaftException.Stopped("server " + id + " was closed"));
        try {
            storage.close();
        } catch (IOException e) {
            LOG.warn("{}: closing storage failed", id, e);
        }
    }

    // ------------------------------------------------------------------------------------------------ loop

    private boolean enqueue(Runnable task) {
        return running && inbox.offer(task);
    }

    private RaftException rejection(String what) {
        if (!running) {
            Throwable f = failure;
            return new RaftException.Stopped("server " + id + " is stopped" + (f == null ? "" : ": " + f));
        }
        return new RaftException.Overloaded(what + " refused: " + config.maxQueued() + " inputs already queued");
    }

    private void loop() {
        List<Runnable> batch = new ArrayList<>();
        try {
            while (running) {
                Runnable first = inbox.poll(1, TimeUnit.SECONDS);
                announceConfiguration();
                if (first == null) {
                    continue;
                }
                turnStartNanos = System.nanoTime();
                batch.add(first);
                inbox.drainTo(batch, MAX_TASKS_PER_TURN);
                for (Runnable task : batch) {
                    task.run();
                }
                batch.clear();
                handleReadys();
                if (staged != null) {
                    // The core did not want it (it already had what the snapshot covers): drop the staged data.
                    staged.writer().close();
                    staged = null;
                }
                checkTransfers();
                lastStatus = node.status();
            }
        } catch (InterruptedException e) {
            // closing
        } catch (Throwable t) {
            fail(t);
        }
    }

    private void handleReadys() throws IOException, InterruptedException {
        if (node.hasReady()) {
            counters.turns.incrementAndGet();
        }
        while (node.hasReady()) {
            // Before anything is sent: a member added by a configuration entry in this Ready must be reachable.
            announceConfiguration();
            Ready rd = node.ready();
            countSent(rd.messages());
            // The leader's appends go out before its own write (Raft dissertation 10.2.1); it counts itself
            // towards commitment only once advance() reports the write durable.
            for (RaftMessage m : rd.messages()) {
                if (m instanceof InstallSnapshotRequest r) {
                    startSnapshotTransfer(r);
                } else {
                    sender.send(m);
                }
            }
            if (rd.hardState() != null) {
                storage.writeHardState(rd.hardState());
                counters.hardStateWrites.incrementAndGet();
            }
            if (rd.snapshot() != null) {
                installReceivedSnapshot(rd.snapshot());
            }
            if (!rd.entries().isEmpty()) {
                List<Entry> written = rd.entries();
                storage.append(written);
                long syncStart = System.nanoTime();
                storage.sync();
                counters.fsyncNanos.addAndGet(System.nanoTime() - syncStart);
                counters.fsyncs.incrementAndGet();
                counters.entriesPersisted.addAndGet(written.size());
                failReplacedProposals(written);
                if (node.role() == Role.LEADER) {
                    long firstNew = written.get(0).index();
                    long lastNew = written.get(written.size() - 1).index();
                    counters.proposals.addAndGet(lastNew - firstNew + 1);
                    pendingCommits.appended(firstNew, lastNew, turnStartNanos);
                } else {
                    pendingCommits.clear();
                }
            }
            countSent(rd.messagesAfterPersist());
            for (RaftMessage m : rd.messagesAfterPersist()) {
                sender.send(m);
            }
            if (!rd.committedEntries().isEmpty()) {
                List<Entry> committed = rd.committedEntries();
                pendingCommits.committed(committed.get(committed.size() - 1).index(), System.nanoTime(), counters);
                long bytes = 0;
                for (Entry e : committed) {
                    bytes += e.sizeBytes();
                }
                // While the apply thread is over its byte budget, new proposals are refused (see propose), which
                // bounds the backlog; here the loop only gives it a moment (one tick at most, so heartbeats and
                // elections keep their timing: a loop blocked for long would cost an election).
                long waitUntil = System.nanoTime() + config.tick().toNanos();
                while (applyQueueBytes.get() > config.maxApplyQueueBytes() && System.nanoTime() < waitUntil) {
                    synchronized (applyQueueBytes) {
                        applyQueueBytes.wait(10);
                    }
                    if (!running) {
                        return;
                    }
                }
                applyQueueBytes.addAndGet(bytes);
                while (!applyQueue.offer(new ApplyEntries(committed, bytes), 100, TimeUnit.MILLISECONDS)) {
                    if (!running) {
                        return;
                    }
                }
            }
            if (!rd.readStates().isEmpty()) {
                counters.reads.addAndGet(rd.readStates().size());
                counters.readRounds.incrementAndGet();
            }
            for (ReadState rs : rd.readStates()) {
                CompletableFuture<Long> f = reads.remove(rs.requestId());
                if (f != null) {
                    f.complete(rs.index());
                }
            }
            for (long readId : rd.abortedReads()) {
                CompletableFuture<Long> f = reads.remove(readId);
                if (f != null) {
                    f.completeExceptionally(new RaftException.LeadershipChanged(
                            "leadership changed before the read could be confirmed; retry"));
                }
            }
            for (ForwardOutcome o : rd.forwardOutcomes()) {
                CompletableFuture<R> f = forwards.remove(o.forwardId());
                if (f != null) {
                    settleProposal(o.result(), f);
                }
            }
            for (long forwardId : rd.abortedForwards()) {
                CompletableFuture<R> f = forwards.remove(forwardId);
                if (f != null) {
                    f.completeExceptionally(new RaftException.LeadershipChanged("the leader changed before it "
                            + "answered a forwarded proposal; it may or may not have been applied"));
                }
            }
            node.advance(rd);
        }
    }

    private void countSent(List<RaftMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        counters.messagesSent.addAndGet(messages.size());
        for (RaftMessage m : messages) {
            if (m instanceof AppendEntriesRequest a && !a.entries().isEmpty()) {
                counters.appendsSent.incrementAndGet();
                counters.entriesSent.addAndGet(a.entries().size());
            }
        }
    }

    /**
     * A batch that starts at or below the last index written replaces the log from there: a pending proposal
     * whose entry is no longer in the log (another term at its index, or the log now ends before it) will never
     * be applied, so fail it now, as certainly not applied, instead of letting it wait for its deadline.
     */
    private void failReplacedProposals(List<Entry> written) {
        long first = written.get(0).index();
        long last = written.get(written.size() - 1).index();
        boolean replaces = first <= lastWrittenIndex;
        lastWrittenIndex = last;
        if (!replaces || proposals.isEmpty()) {
            return;
        }
        for (Map.Entry<Long, PendingProposal<R>> e : proposals.entrySet()) {
            long index = e.getKey();
            if (index < first) {
                continue;
            }
            boolean gone = index > last || written.get((int) (index - first)).term() != e.getValue().term();
            if (gone && proposals.remove(index, e.getValue())) {
                e.getValue().future().completeExceptionally(new RaftException.LeadershipChanged("the proposal at "
                        + "index " + index + " was removed from the log by a new leader; it was not applied", true));
            }
        }
    }

    private void tick() {
        ticks++;
        node.tick();
        catchUp.observe(ticks, node.status());
        progressAdditions();
    }

    private void announceConfiguration() {
        BiConsumer<Configuration, Configuration> listener = configurationListener;
        if (listener == null) {
            return;
        }
        Configuration now = node.configuration();
        long commit = node.log().commitIndex();
        if (commit != committedConfigurationCheckedAt) {
            committedConfigurationCheckedAt = commit;
            committedConfiguration = node.configurationAt(Math.max(commit, node.log().firstIndex() - 1));
        }
        Configuration committed = committedConfiguration;
        if (now != announcedConfiguration || !committed.equals(announcedCommitted)) {
            announcedConfiguration = now;
            announcedCommitted = committed;
            try {
                listener.accept(now, committed);
            } catch (RuntimeException e) {
                LOG.error("configuration listener failed on {}", now, e);
            }
        }
    }

    private void startAddition(NodeId member, String address, java.time.Duration timeout,
                               CompletableFuture<Configuration> f) {
        if (node.role() != Role.LEADER) {
            f.completeExceptionally(new RaftException.NotLeader(node.leader()));
            return;
        }
        if (node.configuration().isVoter(member)) {
            f.completeExceptionally(new RaftException.MembershipChangeRefused(Reason.INVALID,
                    member + " is already a voter"));
            return;
        }
        long ticksAllowed = Math.max(1, timeout.toNanos() / config.tick().toNanos());
        additions.add(new VoterAddition(member, address, f, ticks + ticksAllowed, timeout));
        progressAdditions();
    }

    /** Moves each voter addition one step on: add the learner, then promote it once it has caught up. */
    private void progressAdditions() {
        for (VoterAddition a : additions) {
            if (a.future.isDone()) {
                additions.remove(a);
                continue;
            }
            if (a.proposing) {
                continue;
            }
            if (node.role() != Role.LEADER) {
                a.future.completeExceptionally(new RaftException.NotLeader(node.leader()));
                additions.remove(a);
                continue;
            }
            Configuration c = node.configuration();
            boolean learner = c.learners().contains(a.member);
            if (ticks > a.deadlineTick) {
                a.future.completeExceptionally(new RaftException.MembershipChangeRefused(Reason.TIMEOUT,
                        learner ? a.member + " was added as a learner but has not caught up within " + a.timeout
                                + " (" + catchUp.whyNotCaughtUp(a.member, node.status()) + "); it stays a "
                                + "learner: promote it later, or remove it"
                                : a.member + " could not be added as a learner within " + a.timeout));
                additions.remove(a);
                continue;
            }
            MembershipChange step;
            if (!c.contains(a.member)) {
                step = new MembershipChange.AddLearner(a.member, a.address);
            } else if (learner && catchUp.isCaughtUp(a.member) && node.configurationIndex() <= node.log().commitIndex()) {
                step = new MembershipChange.PromoteLearner(a.member);
            } else {
                continue; // still catching up, or its learner entry not yet committed
            }
            CompletableFuture<Configuration> stepDone = new CompletableFuture<>();
            a.proposing = true;
            doChangeMembership(step, stepDone);
            boolean promotion = step instanceof MembershipChange.PromoteLearner;
            stepDone.whenComplete((conf, e) -> enqueue(() -> {
                a.proposing = false;
                if (e == null) {
                    if (promotion) {
                        a.future.complete(conf);
                    }
                } else if (!(e instanceof RaftException.MembershipChangeRefused r && r.retryable())) {
                    a.future.completeExceptionally(e);
                }
            }));
        }
    }

    private void doPropose(byte[] command, CompletableFuture<R> f) {
        long forwardId = nextForwardId++;
        // At the leader this is a plain proposal; at a follower the leader appends it and says where.
        ProposalResult r = node.forward(forwardId, List.of(command));
        if (r instanceof ProposalResult.Forwarded) {
            forwards.put(forwardId, f);
        } else {
            settleProposal(r, f);
        }
    }

    /** Tracks an accepted proposal by index and term, or fails the future with the refusal. */
    private void settleProposal(ProposalResult r, CompletableFuture<R> f) {
        if (r instanceof ProposalResult.Accepted a) {
            track(a.firstIndex(), a.term(), f);
        } else if (r instanceof NotLeader nl) {
            f.completeExceptionally(new RaftException.NotLeader(nl.leaderHint()));
        } else if (r instanceof ProposalResult.Overloaded o) {
            f.completeExceptionally(new RaftException.Overloaded(o.limit() == 0 ? "the leader is overloaded"
                    : "the leader holds " + o.uncommittedBytes() + " uncommitted bytes (limit " + o.limit() + ")"));
        } else if (r instanceof ProposalResult.TransferInProgress t) {
            f.completeExceptionally(new RaftException.NotLeader(t.target()));
        } else {
            f.completeExceptionally(new IllegalStateException("unexpected proposal result " + r));
        }
    }

    private void track(long index, long term, CompletableFuture<R> f) {
        if (index <= restoredThrough && !recentResults.containsKey(index)) {
            f.completeExceptionally(new RaftException.LeadershipChanged("the proposal at index " + index
                    + " was applied as part of a snapshot from the leader; its result is not known here"));
            return;
        }
        proposals.put(index, new PendingProposal<>(term, f));
        AppliedResult<R> done = recentResults.get(index);
        if (done != null) {
            // Applied before we learned the index (a forwarded proposal): settle it now, unless the apply thread did.
            PendingProposal<R> p = proposals.remove(index);
            if (p != null) {
                settle(p, index, done.term(), done.result());
            }
        }
    }

    private void settle(PendingProposal<R> p, long index, long appliedTerm, R result) {
        if (p.term() == appliedTerm) {
            p.future().complete(result);
        } else {
            p.future().completeExceptionally(new RaftException.LeadershipChanged("the proposal at index " + index
                    + " was replaced by a new leader's entry; it was not applied", true));
        }
    }

    private void doRead(CompletableFuture<Long> f, boolean lease) {
        long readId = nextReadId++;
        ReadIndexResult r = lease ? node.leaseRead(readId) : node.readIndex(readId);
        if (r instanceof NotLeader nl) {
            f.completeExceptionally(new RaftException.NotLeader(nl.leaderHint()));
        } else {
            reads.put(readId, f);
        }
    }

    private void doChangeMembership(MembershipChange change,
                                    CompletableFuture<Configuration> f) {
        if (change instanceof MembershipChange.PromoteLearner p && node.role() == Role.LEADER
                && node.configuration().learners().contains(p.member()) && !catchUp.isCaughtUp(p.member())) {
            f.completeExceptionally(new RaftException.MembershipChangeRefused(Reason.NOT_CAUGHT_UP,
                    catchUp.whyNotCaughtUp(p.member(), node.status()) + "; retry once it has"));
            return;
        }
        MembershipChangeResult r = node.proposeMembershipChange(change);
        if (r instanceof MembershipChangeResult.Accepted a) {
            CompletableFuture<R> applied = new CompletableFuture<>();
            applied.whenComplete((ignored, e) -> {
                if (e == null) {
                    f.complete(a.configuration());
                } else {
                    f.completeExceptionally(e);
                }
            });
            track(a.index(), a.term(), applied);
        } else if (r instanceof NotLeader nl) {
            f.completeExceptionally(new RaftException.NotLeader(nl.leaderHint()));
        } else if (r instanceof MembershipChangeResult.ChangeInProgress p) {
            f.completeExceptionally(new RaftException.MembershipChangeRefused(Reason.CHANGE_IN_PROGRESS, "another membership change (index "
                    + p.pendingIndex() + ") is not committed yet; retry once it is"));
        } else if (r instanceof MembershipChangeResult.AwaitingTermCommit t) {
            f.completeExceptionally(new RaftException.MembershipChangeRefused(Reason.AWAITING_TERM_COMMIT, "the leader has not committed an "
                    + "entry of its term " + t.term() + " yet; retry shortly"));
        } else if (r instanceof MembershipChangeResult.TransferInProgress t) {
            f.completeExceptionally(new RaftException.MembershipChangeRefused(Reason.TRANSFER_IN_PROGRESS, "leadership is being transferred to "
                    + t.target() + "; retry at the new leader"));
        } else if (r instanceof MembershipChangeResult.Invalid i) {
            f.completeExceptionally(new RaftException.MembershipChangeRefused(Reason.INVALID, i.reason()));
        } else {
            f.completeExceptionally(new IllegalStateException("unexpected membership change result " + r));
        }
    }

    private void doTransfer(NodeId target, CompletableFuture<Void> f) {
        TransferResult r = node.transferLeadership(target);
        if (r instanceof NotLeader nl) {
            f.completeExceptionally(new RaftException.NotLeader(nl.leaderHint()));
        } else if (r instanceof TransferResult.InvalidTarget it) {
            f.completeExceptionally(new IllegalArgumentException("cannot transfer leadership to " + target + ": "
                    + it.reason()));
        } else {
            transfers.add(new PendingTransfer(target, f, ticks + 2L * config.raft().electionTicks()));
        }
    }

    private void checkTransfers() {
        transfers.removeIf(t -> {
            if (t.target().equals(node.leader())) {
                t.future().complete(null);
                return true;
            }
            if (ticks > t.deadlineTick()) {
                t.future().completeExceptionally(new RaftException.LeadershipChanged("leadership did not move to "
                        + t.target() + " within two election timeouts (the target may be down or behind)"));
                return true;
            }
            return false;
        });
    }

    // ------------------------------------------------------------------------------------------------ apply

    private void applyLoop() {
        List<ApplyWork> work = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        try {
            while (running) {
                work.add(applyQueue.take());
                applyQueue.drainTo(work);
                long drainedBytes = 0;
                for (ApplyWork w : work) {
                    if (w instanceof ApplyEntries a) {
                        entries.addAll(a.entries());
                        drainedBytes += a.bytes();
                    } else if (w instanceof RestoreSnapshot r) {
                        if (!entries.isEmpty()) {
                            apply(entries);
                            entries = new ArrayList<>();
                        }
                        restore(r.snapshot());
                    }
                }
                work.clear();
                if (!entries.isEmpty() && running) {
                    apply(entries);
                    entries = new ArrayList<>();
                }
                if (drainedBytes > 0) {
                    applyQueueBytes.addAndGet(-drainedBytes);
                    synchronized (applyQueueBytes) {
                        applyQueueBytes.notifyAll();
                    }
                }
                if (running) {
                    maybeSnapshot();
                }
            }
        } catch (InterruptedException e) {
            // closing
        } catch (Throwable t) {
            fail(t);
        }
    }

    private void apply(List<Entry> entries) {
        List<Command> commands = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            if (e.type() == EntryType.COMMAND) {
                commands.add(new Command(e.index(), e.term(), e.data()));
            }
        }
        List<R> results = commands.isEmpty() ? List.of() : stateMachine.apply(commands);
        counters.appliedEntries.addAndGet(entries.size());
        counters.applyBatches.incrementAndGet();
        if (results.size() != commands.size()) {
            throw new IllegalStateException("state machine returned " + results.size() + " results for "
                    + commands.size() + " commands");
        }
        int next = 0;
        for (Entry e : entries) {
            if (e.type() == EntryType.CONFIGURATION) {
                appliedConfiguration = e.configuration();
            }
            R result = e.type() == EntryType.COMMAND ? results.get(next++) : null;
            recentResults.put(e.index(), new AppliedResult<>(e.term(), result));
            recentResults.remove(e.index() - RECENT_RESULTS);
            PendingProposal<R> p = proposals.remove(e.index());
            if (p != null) {
                settle(p, e.index(), e.term(), result);
            }
        }
        Entry lastEntry = entries.get(entries.size() - 1);
        long last = lastEntry.index();
        appliedIndex = last;
        appliedTerm = lastEntry.term();
        entriesSinceSnapshot += entries.size();
        for (Entry e : entries) {
            bytesSinceSnapshot += e.sizeBytes();
        }
        if (!enqueueFromApply(() -> node.appliedTo(last))) {
            LOG.debug("{}: could not report applied index {} (stopping)", id, last);
        }
    }

    /** The apply thread must not lose its report (reads wait on it): block until there is room. */
    private boolean enqueueFromApply(Runnable task) {
        try {
            while (running) {
                if (inbox.offer(task, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------ snapshots

    /**
     * At start-up, before the core exists: a state machine behind the latest snapshot (an in-memory one always
     * is) is restored from it, since the log before the snapshot may be gone.
     */
    private static void restoreFromLatestSnapshot(RaftStorage storage, StateMachine<?> stateMachine) {
        StoredSnapshot snap = storage.latestSnapshot().orElse(null);
        if (snap == null || stateMachine.appliedIndex() >= snap.index()) {
            return;
        }
        long started = System.nanoTime();
        try (InputStream in = storage.snapshots().openData(snap)) {
            stateMachine.restore(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("restoring the state machine from snapshot " + snap.index()
                    + " failed", e);
        }
        LOG.info("restored the state machine from snapshot {}/{} ({} bytes) in {} ms", snap.index(), snap.term(),
                snap.dataBytes(), (System.nanoTime() - started) / 1_000_000);
    }

    /** Apply thread: captures the state if the policy says so or someone asked, and writes it in the background. */
    private void maybeSnapshot() {
        boolean requested = !snapshotRequests.isEmpty();
        if (snapshotInProgress || !(requested || config.snapshots().due(entriesSinceSnapshot, bytesSinceSnapshot,
                storage.latestSnapshot().map(StoredSnapshot::dataBytes).orElse(0L)))) {
            return;
        }
        long index = appliedIndex;
        long term = appliedTerm;
        StoredSnapshot latest = storage.latestSnapshot().orElse(null);
        if (appliedConfiguration.voters().isEmpty()) {
            // A node that joined an existing cluster replays the entries before the configuration entry that
            // added it without knowing the membership they were made under (the cluster's bootstrap membership
            // is not in the log). A snapshot there would record no members; wait until a configuration entry
            // has been applied.
            return;
        }
        if (index == 0 || (latest != null && index <= latest.index())) {
            entriesSinceSnapshot = 0;
            bytesSinceSnapshot = 0;
            completeSnapshotRequests(latest == null ? null : latest.meta(), null);
            return;
        }
        StateCapture capture = stateMachine.captureSnapshot();
        snapshotInProgress = true;
        entriesSinceSnapshot = 0;
        bytesSinceSnapshot = 0;
        Configuration membership = appliedConfiguration;
        snapshotWriter.execute(() -> writeSnapshot(capture, index, term, membership));
    }

    /** Snapshot thread: writes and publishes a captured state, then has the loop compact the log. */
    private void writeSnapshot(StateCapture capture, long index, long term, Configuration membership) {
        long started = System.nanoTime();
        try (capture; SnapshotWriter writer = storage.beginSnapshot(index, term, membership)) {
            OutputStream out = new BufferedOutputStream(writer.data(), 1 << 20);
            capture.writeTo(out);
            out.flush();
            StoredSnapshot stored = writer.publish();
            LOG.info("{}: snapshot {}/{} written ({} bytes) in {} ms", id, index, term, stored.dataBytes(),
                    (System.nanoTime() - started) / 1_000_000);
            enqueueFromApply(() -> compact(stored));
            snapshotCounters.taken.incrementAndGet();
            completeSnapshotRequests(stored.meta(), null);
        } catch (IOException | RuntimeException e) {
            // A newer snapshot installed from the leader meanwhile also ends up here (publishing refuses an
            // older one); either way the log keeps its entries and the next threshold tries again.
            LOG.warn("{}: snapshot at {} not taken: {}", id, index, e.toString());
            completeSnapshotRequests(null, e);
        } finally {
            snapshotInProgress = false;
        }
    }

    private void completeSnapshotRequests(SnapshotMeta meta, Throwable error) {
        CompletableFuture<SnapshotMeta> f;
        while ((f = snapshotRequests.poll()) != null) {
            if (error != null) {
                f.completeExceptionally(error);
            } else if (meta == null) {
                f.completeExceptionally(new IllegalStateException("nothing has been applied yet: no snapshot to take"));
            } else {
                f.complete(meta);
            }
        }
    }

    /** Loop thread: the log before a published snapshot (minus the margin) goes. */
    private void compact(StoredSnapshot stored) {
        StoredSnapshot latest = storage.latestSnapshot().orElse(null);
        if (latest != null && latest.index() > stored.index()) {
            return; // a snapshot from the leader replaced the log meanwhile
        }
        try {
            long started = System.nanoTime();
            Runnable deletion = storage.compactDeferringDeletion(stored, config.snapshots().keepEntries());
            long detached = System.nanoTime();
            // Deleting the files off the loop: a gigabyte of segments takes long enough to delay heartbeats.
            Runnable delete = () -> {
                deletion.run();
                LOG.info("{}: compacted the log to snapshot {} ({} ms on the loop, {} ms deleting files)", id,
                        stored.index(), (detached - started) / 1_000_000, (System.nanoTime() - detached) / 1_000_000);
            };
            try {
                snapshotWriter.execute(delete);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                delete.run();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("compacting the log to " + stored.index() + " failed", e);
        }
    }

    /** Loop thread: the core asks for a snapshot to go to a follower. */
    private void startSnapshotTransfer(InstallSnapshotRequest r) {
        NodeId peer = r.to();
        if (senders.containsKey(peer)) {
            return; // one transfer per follower; the running one reports its outcome to the core
        }
        StoredSnapshot snap = storage.latestSnapshot().orElse(null);
        FileChannel data;
        try {
            if (snap == null) {
                throw new IOException("no snapshot is published");
            }
            data = FileChannel.open(storage.snapshots().dataFile(snap), StandardOpenOption.READ);
        } catch (IOException e) {
            LOG.warn("{}: cannot send a snapshot to {}: {}", id, peer, e.toString());
            node.reportSnapshot(peer, false);
            return;
        }
        long term = r.term();
        SnapshotSender s = new SnapshotSender(id, peer, term, snap, data, config.snapshots(), sender,
                () -> running && lastStatus.term() == term && lastStatus.role() == Role.LEADER,
                (p, ok, detail) -> enqueueFromApply(() -> {
                    (ok ? snapshotCounters.sent : snapshotCounters.sendFailures).incrementAndGet();
                    senders.remove(p);
                    node.reportSnapshot(p, ok);
                }));
        senders.put(peer, s);
        Thread t = new Thread(s, "raft-snapshot-to-" + peer + "-" + id);
        t.setDaemon(true);
        t.start();
    }

    /** Loop thread: verified snapshot data from the leader arrived; the core decides whether to install it. */
    private void stepReceivedSnapshot(SnapshotReceiver.Staged st) {
        if (staged != null) {
            try {
                staged.writer().close();
            } catch (IOException e) {
                LOG.warn("{}: dropping a staged snapshot failed: {}", id, e.toString());
            }
        }
        staged = st;
        node.step(new InstallSnapshotRequest(st.leader(), id, st.term(), st.meta()));
    }

    /** Loop thread, from a Ready: publish the staged snapshot, reset the log to it, restore after what is queued. */
    private void installReceivedSnapshot(SnapshotMeta meta) throws IOException, InterruptedException {
        if (staged == null || !staged.meta().equals(meta)) {
            throw new IllegalStateException("the core installs snapshot " + meta + " but the data staged is "
                    + (staged == null ? "none" : staged.meta()));
        }
        SnapshotReceiver.Staged st = staged;
        staged = null;
        StoredSnapshot stored = st.writer().publish();
        storage.installSnapshot(stored);
        snapshotCounters.installed.incrementAndGet();
        lastWrittenIndex = meta.index();
        LOG.info("{}: installed snapshot {}/{} from {} ({} bytes)", id, meta.index(), meta.term(), st.leader(),
                stored.dataBytes());
        while (!applyQueue.offer(new RestoreSnapshot(stored), 100, TimeUnit.MILLISECONDS)) {
            if (!running) {
                return;
            }
        }
    }

    /** Apply thread: replaces the state with an installed snapshot's. */
    private void restore(StoredSnapshot snap) throws IOException {
        long started = System.nanoTime();
        try (InputStream in = storage.snapshots().openData(snap)) {
            stateMachine.restore(in);
        }
        restoredThrough = snap.index();
        appliedIndex = snap.index();
        appliedTerm = snap.term();
        appliedConfiguration = snap.configuration();
        entriesSinceSnapshot = 0;
        bytesSinceSnapshot = 0;
        recentResults.clear();
        // Proposals this node forwarded whose entries the snapshot covers: applied or not, no result here.
        for (Map.Entry<Long, PendingProposal<R>> e : proposals.entrySet()) {
            if (e.getKey() <= snap.index() && proposals.remove(e.getKey(), e.getValue())) {
                e.getValue().future().completeExceptionally(new RaftException.LeadershipChanged("the proposal at "
                        + "index " + e.getKey() + " was covered by a snapshot from the leader; its outcome is unknown"));
            }
        }
        LOG.info("{}: restored the state machine from snapshot {}/{} in {} ms", id, snap.index(), snap.term(),
                (System.nanoTime() - started) / 1_000_000);
        long index = snap.index();
        enqueueFromApply(() -> node.appliedTo(index));
    }

    // ------------------------------------------------------------------------------------------------ failure

    private void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        LOG.error("{}: raft server stopped: {}", id, t.toString(), t);
        running = false;
        timer.shutdownNow();
        failEverything(new RaftException.Stopped("server " + id + " stopped after an error: " + t));
    }

    private void failEverything(RaftException e) {
        for (CompletableFuture<R> f : forwards.values()) {
            f.completeExceptionally(e);
        }
        forwards.clear();
        for (PendingProposal<R> p : proposals.values()) {
            p.future().completeExceptionally(e);
        }
        proposals.clear();
        for (CompletableFuture<Long> f : reads.values()) {
            f.completeExceptionally(e);
        }
        reads.clear();
        for (PendingTransfer t : transfers) {
            t.future().completeExceptionally(e);
        }
        transfers.clear();
        for (VoterAddition a : additions) {
            a.future.completeExceptionally(e);
        }
        additions.clear();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** True if this node is currently the leader (as of the last loop turn). */
    public boolean isLeader() {
        return lastStatus.role() == Role.LEADER;
    }
}
