package io.raftkv.server;

import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.ForwardOutcome;
import io.raftkv.core.NodeId;
import io.raftkv.core.NotLeader;
import io.raftkv.core.ProposalResult;
import io.raftkv.core.RaftNode;
import io.raftkv.core.ReadIndexResult;
import io.raftkv.core.ReadState;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.Status;
import io.raftkv.core.TransferResult;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.storage.RaftStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 *   <li>a <b>timer</b> thread enqueues a tick every {@link RaftServerConfig#tick()}.</li>
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

    private record PendingTransfer(NodeId target, CompletableFuture<Void> future, long deadlineTick) {
    }

    private final RaftServerConfig config;
    private final RaftStorage storage;
    private final StateMachine<R> stateMachine;
    private final MessageSender sender;
    private final RaftNode node;
    private final NodeId id;

    private final BlockingQueue<Runnable> inbox;
    private final BlockingQueue<List<Entry>> applyQueue;
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
    private final List<PendingTransfer> transfers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private long nextReadId = 1;
    /** Last index the loop wrote to storage (to recognise a batch that replaces part of the log). */
    private long lastWrittenIndex;
    private long ticks;

    private final Thread loopThread;
    private final Thread applyThread;
    private final ScheduledExecutorService timer;
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
        this.node = new RaftNode(config.raft(), storage, random);
        this.lastWrittenIndex = storage.lastIndex();
        this.id = node.id();
        this.inbox = new ArrayBlockingQueue<>(config.maxQueued());
        this.applyQueue = new LinkedBlockingQueue<>(config.maxApplyQueue());
        this.lastStatus = node.status();
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
        if (!enqueue(() -> doPropose(command, f))) {
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
        // Wake the threads instead of interrupting them: an interrupt during file I/O closes the FileChannel.
        inbox.offer(() -> { });
        applyQueue.offer(List.of());
        try {
            loopThread.join(10_000);
            applyThread.join(10_000);
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
                if (first == null) {
                    continue;
                }
                batch.add(first);
                inbox.drainTo(batch, MAX_TASKS_PER_TURN);
                for (Runnable task : batch) {
                    task.run();
                }
                batch.clear();
                handleReadys();
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
        while (node.hasReady()) {
            Ready rd = node.ready();
            // The leader's appends go out before its own write (Raft dissertation 10.2.1); it counts itself
            // towards commitment only once advance() reports the write durable.
            for (RaftMessage m : rd.messages()) {
                sender.send(m);
            }
            if (rd.hardState() != null) {
                storage.writeHardState(rd.hardState());
            }
            if (!rd.entries().isEmpty()) {
                storage.append(rd.entries());
                storage.sync();
                failReplacedProposals(rd.entries());
            }
            for (RaftMessage m : rd.messagesAfterPersist()) {
                sender.send(m);
            }
            if (!rd.committedEntries().isEmpty()) {
                // Waits (back-pressure) while the apply thread lags far behind; gives up only when stopping.
                while (!applyQueue.offer(rd.committedEntries(), 100, TimeUnit.MILLISECONDS)) {
                    if (!running) {
                        return;
                    }
                }
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
        List<List<Entry>> batches = new ArrayList<>();
        try {
            while (running) {
                batches.add(applyQueue.take());
                applyQueue.drainTo(batches);
                List<Entry> entries = new ArrayList<>();
                for (List<Entry> b : batches) {
                    entries.addAll(b);
                }
                batches.clear();
                if (!entries.isEmpty() && running) {
                    apply(entries);
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
        if (results.size() != commands.size()) {
            throw new IllegalStateException("state machine returned " + results.size() + " results for "
                    + commands.size() + " commands");
        }
        int next = 0;
        for (Entry e : entries) {
            R result = e.type() == EntryType.COMMAND ? results.get(next++) : null;
            recentResults.put(e.index(), new AppliedResult<>(e.term(), result));
            recentResults.remove(e.index() - RECENT_RESULTS);
            PendingProposal<R> p = proposals.remove(e.index());
            if (p != null) {
                settle(p, e.index(), e.term(), result);
            }
        }
        long last = entries.get(entries.size() - 1).index();
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
    }

    /** True if this node is currently the leader (as of the last loop turn). */
    public boolean isLeader() {
        return lastStatus.role() == Role.LEADER;
    }
}
