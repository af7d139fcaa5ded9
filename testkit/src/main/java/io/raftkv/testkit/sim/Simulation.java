package io.raftkv.testkit.sim;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.MembershipChangeResult;
import io.raftkv.core.NodeId;
import io.raftkv.core.NotLeader;
import io.raftkv.core.ProposalResult;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.RaftInvariantViolation;
import io.raftkv.core.RaftNode;
import io.raftkv.core.ReadIndexResult;
import io.raftkv.core.ReadState;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.membership.MembershipChange;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.RaftMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A deterministic simulation of a Raft cluster: real {@link RaftNode} instances in one thread, a virtual
 * clock, a seeded network that drops, duplicates, delays, reorders and partitions messages, disks whose
 * syncs take time (a crash keeps only a torn prefix of a sync in progress), crashes and restarts, and a
 * client that proposes commands and issues linearizable reads. Nodes on in-memory disks also take snapshots at
 * random moments (compacting their logs, sometimes keeping a margin), and leaders send snapshots to followers
 * that need compacted entries; a snapshot in transit is lost like any message. With membership changes on, the
 * leader is also asked to add learners (spare nodes that start empty outside the cluster, or removed ones),
 * promote them, add voters, remove followers and remove itself. After every event the {@link InvariantChecker}
 * checks the safety properties; after the fault phase every fault is healed and the run must reach a stable
 * leader with every proposal committed everywhere within a bounded virtual time (liveness).
 *
 * <p>Everything random comes from one seed, so {@code run(SimulationOptions.forSeed(seed, n))} replays a run
 * exactly.
 */
public final class Simulation {

    private static final long RETRY_MICROS = 400_000;
    private static final int MAX_PENDING_COMMANDS = 8;

    private record Scheduled(long time, long seq, Object event) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private record Tick(int node) {
    }

    private record Deliver(RaftMessage message) {
    }

    private record SyncDone(int node, int epoch) {
    }

    private record Restart(int node) {
    }

    private record ClientAction() {
    }

    private record NemesisAction() {
    }

    private record Heal() {
    }

    private record LivenessCheck() {
    }

    private record SnapshotAction() {
    }

    /** A snapshot's data arriving at a follower (the runtime's chunked transfer, as one event). */
    private record DeliverSnapshot(int from, int to, long term, SimSnapshot snapshot) {
    }

    /** The leader's runtime learning how a transfer ended. */
    private record SnapshotReport(int leader, int follower, long term, boolean success) {
    }

    private record PendingCommand(long id, long firstSent) {
    }

    private record PendingRead(int node, long requestId) {
    }

    private final SimulationOptions options;
    private final SplittableRandom random;
    private final Consumer<String> trace;
    private final List<SimNode> nodes = new ArrayList<>();
    private final Map<NodeId, Integer> indexOf = new HashMap<>();
    private final InvariantChecker checker;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private final boolean[][] blocked;
    private long seq;
    private long now;
    private long events;
    private boolean healed;
    private boolean live;
    private double dropRate;
    private double duplicateRate;
    private double reorderRate;
    private int crashes;
    private int partitions;
    private int readsChecked;
    private int transfers;
    private int snapshots;
    private int installs;
    private int membershipChanges;
    private int leaderRemovals;
    /** The members of the final configuration, once the cluster has settled. */
    private Configuration finalConfiguration;
    private long nextCommandId = 1;
    private long nextReadId = 1;
    private long nextForwardId = 1;
    private final Map<Long, PendingCommand> pendingCommands = new LinkedHashMap<>();
    private final Map<Long, Long> lastSent = new HashMap<>();
    private final Map<PendingRead, Long> pendingReads = new HashMap<>();
    private final List<Long> allCommands = new ArrayList<>();

    private Simulation(SimulationOptions options, Consumer<String> trace) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
        this.trace = trace;
        this.checker = new InvariantChecker(bootstrapMembership(options));
        int total = options.nodes() + options.spareNodes();
        this.blocked = new boolean[total][total];
        this.dropRate = options.dropRate();
        this.duplicateRate = options.duplicateRate();
        this.reorderRate = options.reorderRate();
    }

    /** Runs one simulation; never throws for a property violation, which is reported in the result. */
    public static SimulationResult run(SimulationOptions options) {
        return run(options, null);
    }

    /** Runs one simulation, sending a line per event to {@code trace} (null for none). */
    public static SimulationResult run(SimulationOptions options, Consumer<String> trace) {
        Simulation sim = new Simulation(options, trace);
        String failure = null;
        try {
            sim.execute();
            sim.closeDisks();
        } catch (SafetyViolation | RaftInvariantViolation e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
        } catch (RuntimeException e) {
            failure = "unexpected " + e;
            if (trace != null) {
                java.io.StringWriter w = new java.io.StringWriter();
                e.printStackTrace(new java.io.PrintWriter(w));
                trace.accept(w.toString());
            }
        }
        return new SimulationResult(options, failure, sim.events, sim.now, sim.checker.maxCommitted(),
                sim.checker.leaderTerms(), sim.crashes, sim.partitions, sim.readsChecked, sim.snapshots, sim.installs,
                sim.membershipChanges, sim.leaderRemovals);
    }

    /** Voters n1..nN; the spare nodes after them are outside the cluster. */
    private static Configuration bootstrapMembership(SimulationOptions options) {
        java.util.Set<NodeId> voters = new java.util.TreeSet<>();
        for (int i = 0; i < options.nodes(); i++) {
            voters.add(NodeId.of("n" + (i + 1)));
        }
        return new Configuration(voters, java.util.Set.of());
    }

    private void closeDisks() {
        for (SimNode n : nodes) {
            if (n.disk instanceof RealDisk real && n.up()) {
                real.close();
            }
        }
    }

    private void execute() {
        List<NodeId> ids = new ArrayList<>();
        for (int i = 0; i < options.nodes() + options.spareNodes(); i++) {
            ids.add(NodeId.of("n" + (i + 1)));
        }
        // Spare nodes start empty with the cluster's bootstrap membership, which does not include them: they
        // wait, never campaigning, until a leader adds them (as a node started with --join would).
        Configuration membership = bootstrapMembership(options);
        for (int i = 0; i < ids.size(); i++) {
            RaftConfig.Builder b = RaftConfig.builder(ids.get(i)).electionTicks(options.electionTicks())
                    .heartbeatTicks(1).preVote(options.preVote()).checkQuorum(options.checkQuorum())
                    .leaseReads(options.leaseReads());
            for (io.raftkv.core.Mechanism m : options.disabled()) {
                b.unsafelyDisableForTesting(m);
            }
            if (options.smallAppends()) {
                b.maxAppendBytes(100).maxInflightAppends(2).maxInflightBytes(300).maxUncommittedBytes(400);
            }
            SimDisk disk = options.storageRoot() == null
                    ? new MemoryDisk(membership, options.shortcuts().contains(RuntimeShortcut.VOTE_NOT_SYNCED))
                    : new RealDisk(options.storageRoot().resolve(ids.get(i).value()), ids.get(i), membership);
            SimNode n = new SimNode(ids.get(i), b.build(), disk);
            nodes.add(n);
            indexOf.put(ids.get(i), i);
            start(i);
            schedule(random.nextLong(options.tickMicros()), new Tick(i));
        }
        schedule(random.nextLong(options.clientMeanMicros() * 2 + 1), new ClientAction());
        schedule(random.nextLong(options.nemesisMeanMicros() * 2 + 1), new NemesisAction());
        schedule(options.faultMicros(), new Heal());
        if (nodes.get(0).disk.keepsSnapshots()) {
            schedule(random.nextLong(options.nemesisMeanMicros() * 2 + 1), new SnapshotAction());
        }
        long deadline = options.faultMicros() + options.healMicros();
        while (!live) {
            Scheduled s = queue.poll();
            if (s == null) {
                throw new SafetyViolation("Liveness: no event left to run at " + now + "us");
            }
            if (s.time() > deadline) {
                throw new SafetyViolation("Liveness: " + (deadline - options.faultMicros()) / 1000
                        + "ms of virtual time after every fault healed, the cluster has not settled: "
                        + livenessReport());
            }
            now = s.time();
            events++;
            handle(s.event());
            checker.checkLeaders(upNodes());
            checkConfigurations();
        }
        checker.checkCommittedOnMajority(disks());
        for (SimNode n : nodes) {
            if (!finalConfiguration.contains(n.id)) {
                continue; // removed, or never added: it is not expected to have the latest entries
            }
            for (long id : allCommands) {
                if (!pendingCommands.containsKey(id) && !n.appliedCommands.contains(id)) {
                    throw new SafetyViolation("Durability: command " + id + " was acknowledged but " + n.id
                            + " never applied it");
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ events

    private void handle(Object event) {
        if (event instanceof Tick t) {
            SimNode n = nodes.get(t.node());
            if (n.up()) {
                n.raft.tick();
                drain(t.node());
            }
            schedule(now + options.tickMicros(), t);
        } else if (event instanceof Deliver d) {
            deliver(d.message());
        } else if (event instanceof SyncDone s) {
            SimNode n = nodes.get(s.node());
            if (n.up() && n.epoch == s.epoch() && n.syncing != null) {
                Ready rd = n.syncing;
                n.syncing = null;
                finishReady(s.node(), rd);
                drain(s.node());
            }
        } else if (event instanceof Restart r) {
            if (!nodes.get(r.node()).up()) {
                start(r.node());
            }
        } else if (event instanceof ClientAction) {
            clientAction();
            if (!healed || !pendingCommands.isEmpty()) {
                schedule(now + 1 + random.nextLong(options.clientMeanMicros() * 2), new ClientAction());
            }
        } else if (event instanceof NemesisAction) {
            if (!healed) {
                nemesis();
                schedule(now + 1 + random.nextLong(options.nemesisMeanMicros() * 2), new NemesisAction());
            }
        } else if (event instanceof Heal) {
            heal();
        } else if (event instanceof SnapshotAction) {
            takeSnapshot();
            if (!healed) {
                schedule(now + 1 + random.nextLong(options.nemesisMeanMicros() * 2), new SnapshotAction());
            }
        } else if (event instanceof DeliverSnapshot d) {
            deliverSnapshot(d);
        } else if (event instanceof SnapshotReport r) {
            SimNode leader = nodes.get(r.leader());
            if (leader.up() && leader.raft.term() == r.term()) {
                log(() -> "snapshot report " + nodes.get(r.follower()).id + " -> " + leader.id + ": "
                        + (r.success() ? "sent" : "failed"));
                leader.raft.reportSnapshot(nodes.get(r.follower()).id, r.success());
                drain(r.leader());
            }
        } else if (event instanceof LivenessCheck) {
            live = settled();
            if (!live) {
                schedule(now + 50_000, new LivenessCheck());
            }
        }
    }

    private void deliver(RaftMessage m) {
        int from = indexOf.get(m.from());
        int to = indexOf.get(m.to());
        SimNode n = nodes.get(to);
        if (!n.up() || blocked[from][to]) {
            return;
        }
        log(() -> "deliver " + m);
        n.raft.step(m);
        drain(to);
    }

    private void send(RaftMessage m) {
        if (random.nextDouble() < dropRate) {
            return;
        }
        schedule(now + delay(), new Deliver(m));
        if (random.nextDouble() < duplicateRate) {
            schedule(now + delay(), new Deliver(m));
        }
    }

    private long delay() {
        long d = 100 + random.nextLong(1_500);
        if (random.nextDouble() < reorderRate) {
            d += random.nextLong(30_000);
        }
        return d;
    }

    // ------------------------------------------------------------------------------------------------ nodes

    private void start(int i) {
        SimNode n = nodes.get(i);
        if (n.restarts > 0) {
            n.disk.restart();
            checker.verifyRecovered(n.id, n.disk.storage());
        }
        n.raft = new RaftNode(n.config, n.disk.storage(), new SplittableRandom(options.seed() * 1_000_003L + i * 7919L
                + n.restarts));
        if (n.restarts > 0) {
            checker.verifyRecoveredConfiguration(n.id, n.disk.storage(), n.raft.configuration());
        }
        n.restarts++;
        n.appliedCommands.clear();
        SimSnapshot snap = n.disk.latestSnapshot();
        if (snap != null) {
            // The state machine comes back from the latest snapshot; the log after it is applied again.
            n.appliedIndex = snap.meta().index();
            n.appliedTerm = snap.meta().term();
            n.appliedHash = snap.appliedHash();
            n.appliedCommands.addAll(snap.commands());
        } else {
            n.appliedIndex = n.disk.storage().firstIndex() - 1;
            n.appliedTerm = 0;
            n.appliedHash = 0;
        }
        n.syncing = null;
        n.staged.clear();
        n.installing = null;
        log(() -> "start " + n.id + " term=" + n.disk.storage().hardState().term() + " last="
                + n.disk.storage().lastIndex());
        drain(i);
    }

    private void crash(int i) {
        SimNode n = nodes.get(i);
        if (!n.up()) {
            return;
        }
        crashes++;
        Ready syncing = n.syncing;
        if (syncing != null && syncing.snapshot() != null) {
            // Publishing a snapshot is atomic: it is on disk or not; entries after it need it.
            if (random.nextBoolean()) {
                installOnDisk(n, syncing);
            } else {
                syncing = new Ready(syncing.hardState(), null, List.of(), List.of(), List.of(), List.of(),
                        List.of(), List.of(), List.of(), List.of());
            }
        }
        // The sync in progress reaches the disk only in part: hard state or not, a prefix of the entries.
        n.disk.crash(syncing, random, (disk, first, written) -> checker.onDurableWrite(n.id, disk, first,
                written));
        log(() -> "crash " + n.id);
        n.raft = null;
        n.configurationOnDisk = null;
        n.syncing = null;
        n.epoch++;
        n.appliedCommands.clear();
        n.staged.clear();
        n.installing = null;
        checker.checkCommittedOnMajority(disks());
    }

    /** Hands out every Ready the node has; a Ready that needs a disk write completes when the sync does. */
    private void drain(int i) {
        SimNode n = nodes.get(i);
        while (n.up() && n.syncing == null && n.raft.hasReady()) {
            Ready rd = n.raft.ready();
            for (RaftMessage m : rd.messages()) {
                if (m instanceof InstallSnapshotRequest r) {
                    sendSnapshot(i, r);
                } else {
                    send(m);
                }
            }
            if (options.shortcuts().contains(RuntimeShortcut.ACK_BEFORE_SYNC)) {
                for (RaftMessage m : rd.messagesAfterPersist()) {
                    send(m);
                }
            }
            apply(i, rd);
            if (rd.mustPersist()) {
                n.syncing = rd;
                schedule(now + 50 + random.nextLong(2_000), new SyncDone(i, n.epoch));
            } else {
                finishReady(i, rd);
            }
        }
    }

    private void finishReady(int i, Ready rd) {
        SimNode n = nodes.get(i);
        if (rd.hardState() != null) {
            n.disk.writeHardState(rd.hardState());
        }
        if (rd.snapshot() != null) {
            installOnDisk(n, rd);
        }
        if (!rd.entries().isEmpty()) {
            writeEntries(n, rd.entries().get(0).index(), rd.entries());
        }
        if (!options.shortcuts().contains(RuntimeShortcut.ACK_BEFORE_SYNC)) {
            for (RaftMessage m : rd.messagesAfterPersist()) {
                send(m);
            }
        }
        n.raft.advance(rd);
    }

    /** Writes a batch the way storage must: drop everything from {@code first} on, then append. */
    private void writeEntries(SimNode n, long first, List<Entry> entries) {
        checker.onDurableWrite(n.id, n.disk.storage(), first, entries);
        n.disk.writeEntries(first, entries);
    }

    private Map<NodeId, io.raftkv.core.log.LogStorage> disks() {
        Map<NodeId, io.raftkv.core.log.LogStorage> disks = new LinkedHashMap<>();
        for (SimNode n : nodes) {
            disks.put(n.id, n.disk.storage());
        }
        return disks;
    }

    private void apply(int i, Ready rd) {
        SimNode n = nodes.get(i);
        if (rd.snapshot() != null) {
            // Restore the model state machine from the snapshot the core decided to install.
            SimSnapshot snap = n.staged.get(rd.snapshot());
            if (snap == null) {
                throw new SafetyViolation("Snapshot: " + n.id + " installs " + rd.snapshot() + " but received only "
                        + n.staged.keySet());
            }
            n.staged.clear();
            n.installing = snap;
            checker.onRestore(n.id, snap.meta().index(), snap.appliedHash());
            n.appliedIndex = snap.meta().index();
            n.appliedTerm = snap.meta().term();
            n.appliedHash = snap.appliedHash();
            n.appliedCommands.clear();
            n.appliedCommands.addAll(snap.commands());
            n.raft.appliedTo(n.appliedIndex);
            installs++;
        }
        for (Entry e : rd.committedEntries()) {
            checker.onApply(n.id, n.raft.term(), n.appliedIndex, e);
            n.appliedIndex = e.index();
            n.appliedTerm = e.term();
            n.appliedHash = InvariantChecker.chain(n.appliedHash, e);
            if (e.type() == EntryType.COMMAND) {
                long id = ByteBuffer.wrap(e.data()).getLong();
                n.appliedCommands.add(id);
                pendingCommands.remove(id);
            }
        }
        if (!rd.committedEntries().isEmpty()) {
            n.raft.appliedTo(n.appliedIndex);
        }
        for (ReadState rs : rd.readStates()) {
            Long appliedAtStart = pendingReads.remove(new PendingRead(i, rs.requestId()));
            if (appliedAtStart == null) {
                throw new SafetyViolation("read " + rs.requestId() + " released at " + n.id
                        + " but it was never requested there (or released twice)");
            }
            checker.onRead(n.id, rs.requestId(), rs.index(), appliedAtStart, n.appliedIndex);
            readsChecked++;
        }
        for (long id : rd.abortedReads()) {
            pendingReads.remove(new PendingRead(i, id));
        }
    }

    // ------------------------------------------------------------------------------------------------ snapshots

    /** A random node snapshots its applied state and compacts its log, keeping a random margin. */
    private void takeSnapshot() {
        List<Integer> up = upIndices();
        if (up.isEmpty()) {
            return;
        }
        SimNode n = nodes.get(up.get(random.nextInt(up.size())));
        SimSnapshot latest = n.disk.latestSnapshot();
        long index = n.appliedIndex;
        if (n.syncing != null && n.syncing.snapshot() != null) {
            return; // restored from a leader's snapshot whose install is not on disk yet: the disk's log is stale
        }
        if (index == 0 || (latest != null && index <= latest.meta().index())) {
            return; // nothing new
        }
        long keep = random.nextInt(3) == 0 ? 0 : random.nextInt(12);
        // The membership at the applied index, not the one in force now (a later entry may not be committed).
        SnapshotMeta meta = new SnapshotMeta(index, n.appliedTerm, n.raft.configurationAt(index));
        if (n.disk.storage().term(index) != n.appliedTerm) {
            throw new SafetyViolation("State Machine Safety: " + n.id + " applied entry " + index + " of term "
                    + n.appliedTerm + " but its durable log holds term " + n.disk.storage().term(index) + " there");
        }
        checker.onSnapshotTaken(n.id, meta);
        n.disk.takeSnapshot(new SimSnapshot(meta, n.appliedCommands, n.appliedHash), keep);
        snapshots++;
        log(() -> "snapshot " + n.id + " at " + index + "/" + meta.term() + " keeping " + keep);
    }

    /** The leader's runtime streams its latest snapshot; it arrives whole or not at all. */
    private void sendSnapshot(int from, InstallSnapshotRequest r) {
        SimSnapshot snap = nodes.get(from).disk.latestSnapshot();
        int to = indexOf.get(r.to());
        log(() -> "send snapshot " + snap.meta().index() + " " + r.from() + " -> " + r.to());
        // A transfer takes longer than a message: it is many chunks.
        schedule(now + delay() + random.nextLong(20_000), new DeliverSnapshot(from, to, r.term(), snap));
    }

    private void deliverSnapshot(DeliverSnapshot d) {
        SimNode n = nodes.get(d.to());
        boolean arrived = n.up() && !blocked[d.from()][d.to()] && random.nextDouble() >= dropRate;
        if (arrived) {
            log(() -> "deliver snapshot " + d.snapshot().meta().index() + " to " + n.id);
            n.staged.put(d.snapshot().meta(), d.snapshot());
            n.raft.step(new InstallSnapshotRequest(nodes.get(d.from()).id, n.id, d.term(), d.snapshot().meta()));
            drain(d.to());
        }
        // The sender learns the outcome (its acknowledgements may be lost too; then it reports a failure).
        boolean acknowledged = arrived && !blocked[d.to()][d.from()] && random.nextDouble() >= dropRate;
        schedule(now + delay(), new SnapshotReport(d.from(), d.to(), d.term(), acknowledged));
    }

    private void installOnDisk(SimNode n, Ready rd) {
        checker.onSnapshotInstalled(n.id, n.disk.storage(), rd.snapshot());
        n.disk.installSnapshot(n.installing);
        n.installing = null;
    }

    // ------------------------------------------------------------------------------------------------ client

    private void clientAction() {
        List<Integer> up = upIndices();
        if (up.isEmpty()) {
            return;
        }
        int target = up.get(random.nextInt(up.size()));
        if (!healed && random.nextDouble() < options.readRate()) {
            long id = nextReadId++;
            RaftNode node = nodes.get(target).raft;
            ReadIndexResult r = options.leaseReads() && random.nextBoolean() ? node.leaseRead(id) : node.readIndex(id);
            if (r instanceof ReadIndexResult.Accepted) {
                pendingReads.put(new PendingRead(target, id), checker.maxCommitted());
                drain(target);
            }
            return;
        }
        Long command = null;
        for (PendingCommand p : pendingCommands.values()) {
            if (now - lastSent.get(p.id()) >= RETRY_MICROS) {
                command = p.id();
                break;
            }
        }
        if (command == null) {
            if (healed || pendingCommands.size() >= MAX_PENDING_COMMANDS) {
                return;
            }
            command = nextCommandId++;
            pendingCommands.put(command, new PendingCommand(command, now));
            allCommands.add(command);
        }
        lastSent.put(command, now);
        byte[] payload = ByteBuffer.allocate(8 + random.nextInt(options.smallAppends() ? 120 : 24))
                .putLong(0, command).array();
        ProposalResult r = random.nextInt(3) == 0
                ? nodes.get(target).raft.forward(nextForwardId++, List.of(payload))
                : nodes.get(target).raft.propose(payload);
        if (r instanceof NotLeader nl && nl.leaderHint() != null) {
            int hinted = indexOf.get(nl.leaderHint());
            if (nodes.get(hinted).up()) {
                target = hinted;
                r = nodes.get(target).raft.propose(payload);
            }
        }
        long cmd = command;
        ProposalResult result = r;
        int t = target;
        log(() -> "client propose " + cmd + " at " + nodes.get(t).id + " -> " + result);
        drain(target);
    }

    // ------------------------------------------------------------------------------------------------ faults

    private void nemesis() {
        if (options.membershipChanges() && random.nextInt(100) < 15) {
            changeMembership();
            return;
        }
        int n = nodes.size();
        int action = random.nextInt(100);
        int down = n - upIndices().size();
        if (action < 30) {
            partition();
        } else if (action < 45) {
            clearPartitions();
        } else if (action < 60) {
            if (down < options.maxCrashed()) {
                List<Integer> up = upIndices();
                crashAndLaterRestart(up.get(random.nextInt(up.size())));
            }
        } else if (action < 70) {
            for (int i = 0; i < n; i++) {
                if (!nodes.get(i).up()) {
                    start(i);
                    break;
                }
            }
        } else if (action < 90) {
            // Crash the leader in particular: the interesting failure, often right in the middle of replication.
            int leader = leaderIndex();
            if (leader >= 0 && down < options.maxCrashed()) {
                crashAndLaterRestart(leader);
            }
        } else if (action < 95) {
            // Hand leadership to a random node; it may fail (target down, cut off), which must be harmless.
            int leader = leaderIndex();
            if (leader >= 0) {
                NodeId target = nodes.get(random.nextInt(n)).id;
                io.raftkv.core.TransferResult r = nodes.get(leader).raft.transferLeadership(target);
                transfers++;
                log(() -> "transfer leadership to " + target + ": " + r);
                drain(leader);
            }
        } else {
            dropRate = random.nextDouble() * options.dropRate() * 2;
        }
    }

    /**
     * Asks the leader for a random single-server change: add a learner or a voter (a node outside the
     * configuration: a spare, or one removed earlier with its old log), promote a learner, remove a follower or
     * remove the leader itself. Refusals (a change in progress, no entry of the leader's term committed yet)
     * are part of the test.
     */
    private void changeMembership() {
        int li = leaderIndex();
        if (li < 0) {
            return;
        }
        RaftNode leader = nodes.get(li).raft;
        Configuration c = leader.configuration();
        List<NodeId> outside = new ArrayList<>();
        List<NodeId> removable = new ArrayList<>();
        for (SimNode n : nodes) {
            if (!c.contains(n.id)) {
                outside.add(n.id);
            } else if (!n.id.equals(leader.id()) && (c.learners().contains(n.id) || c.voters().size() > 2)) {
                removable.add(n.id);
            }
        }
        List<NodeId> learners = new ArrayList<>(c.learners());
        MembershipChange change = switch (random.nextInt(5)) {
            case 0 -> outside.isEmpty() ? null : new MembershipChange.AddLearner(pick(outside));
            case 1 -> learners.isEmpty() ? null : new MembershipChange.PromoteLearner(pick(learners));
            case 2 -> outside.isEmpty() ? null : new MembershipChange.AddVoter(pick(outside));
            case 3 -> removable.isEmpty() ? null : new MembershipChange.RemoveMember(pick(removable));
            default -> c.voters().size() > 2 ? new MembershipChange.RemoveMember(leader.id()) : null;
        };
        if (change == null) {
            return;
        }
        MembershipChangeResult r = leader.proposeMembershipChange(change);
        if (r instanceof MembershipChangeResult.Accepted) {
            membershipChanges++;
            if (change.member().equals(leader.id())) {
                leaderRemovals++;
            }
        }
        log(() -> "membership change at " + leader.id() + ": " + change + " -> " + r);
        drain(li);
    }

    private NodeId pick(List<NodeId> ids) {
        return ids.get(random.nextInt(ids.size()));
    }

    /** The membership invariant over what every node (up or down) has in force. */
    private void checkConfigurations() {
        List<InvariantChecker.ConfigurationInForce> inForce = new ArrayList<>(nodes.size());
        Map<NodeId, Long> commits = new HashMap<>();
        for (SimNode n : nodes) {
            if (n.up()) {
                long index = n.raft.configurationIndex();
                io.raftkv.core.log.LogView view = n.raft.log();
                inForce.add(new InvariantChecker.ConfigurationInForce(n.id, index, view.term(index),
                        n.raft.configuration(), view::term));
                commits.put(n.id, n.raft.log().commitIndex());
            } else {
                if (n.configurationOnDisk == null) {
                    // What the node would restart with (its disk does not change while it is down), from what the
                    // checker recorded as durable: a crashed real disk is closed, only its in-memory index answers.
                    io.raftkv.core.log.LogStorage disk = n.disk.storage();
                    java.util.function.LongUnaryOperator term = i -> i >= disk.firstIndex() - 1 && i <= disk.lastIndex()
                            ? disk.term(i) : -1;
                    Map.Entry<Long, Configuration> durable = checker.durableConfiguration(n.id);
                    n.configurationOnDisk = new InvariantChecker.ConfigurationInForce(n.id, durable.getKey(),
                            term.applyAsLong(durable.getKey()), durable.getValue(), term);
                }
                inForce.add(n.configurationOnDisk);
            }
        }
        checker.checkConfigurations(inForce, commits);
    }

    private void crashAndLaterRestart(int victim) {
        crash(victim);
        schedule(now + 20_000 + random.nextLong(1_000_000), new Restart(victim));
    }

    private void partition() {
        int n = nodes.size();
        partitions++;
        clearPartitions();
        int kind = random.nextInt(4);
        if (kind == 0) {
            // Isolate one node (often the leader) in both directions.
            int victim = leaderIndex() >= 0 && random.nextBoolean() ? leaderIndex() : random.nextInt(n);
            for (int j = 0; j < n; j++) {
                if (j != victim) {
                    blocked[victim][j] = true;
                    blocked[j][victim] = true;
                }
            }
            log(() -> "partition: isolate " + nodes.get(victim).id);
        } else if (kind == 1 || kind == 2) {
            // Split into two sides; with kind 2 one node bridges both sides.
            boolean[] side = new boolean[n];
            for (int i = 0; i < n; i++) {
                side[i] = random.nextBoolean();
            }
            int bridge = kind == 2 ? random.nextInt(n) : -1;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (side[i] != side[j] && i != bridge && j != bridge) {
                        blocked[i][j] = true;
                    }
                }
            }
            log(() -> "partition: split " + java.util.Arrays.toString(side) + " bridge=" + bridge);
        } else {
            // Asymmetric: some links fail in one direction only.
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (i != j && random.nextInt(3) == 0) {
                        blocked[i][j] = true;
                    }
                }
            }
            log(() -> "partition: one-way links");
        }
    }

    private void clearPartitions() {
        for (boolean[] row : blocked) {
            java.util.Arrays.fill(row, false);
        }
    }

    private void heal() {
        healed = true;
        log(() -> "heal everything");
        clearPartitions();
        dropRate = 0;
        duplicateRate = 0;
        reorderRate = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (!nodes.get(i).up()) {
                start(i);
            }
        }
        schedule(now + 1, new ClientAction());
        schedule(now + 50_000, new LivenessCheck());
    }

    // ------------------------------------------------------------------------------------------------ liveness

    /** One leader known to all, every proposal applied, every node applied up to the leader's last entry. */
    private boolean settled() {
        int leader = leaderIndex();
        if (leader < 0 || !pendingCommands.isEmpty()) {
            return false;
        }
        RaftNode l = nodes.get(leader).raft;
        Configuration members = l.configuration();
        if (l.status().commitIndex() != l.log().lastIndex() || !members.isVoter(l.id())) {
            return false;
        }
        for (SimNode n : nodes) {
            // Nodes outside the final configuration (removed, or never added) are left alone.
            if (members.contains(n.id)
                    && (!l.id().equals(n.raft.leader()) || n.appliedIndex != l.log().lastIndex())) {
                return false;
            }
        }
        finalConfiguration = members;
        return true;
    }

    private String livenessReport() {
        StringBuilder sb = new StringBuilder();
        sb.append(pendingCommands.size()).append(" proposals pending;");
        for (SimNode n : nodes) {
            if (n.up()) {
                sb.append(' ').append(n.id).append('=').append(n.raft.role()).append("/t").append(n.raft.term())
                        .append("/leader:").append(n.raft.leader()).append("/commit:")
                        .append(n.raft.status().commitIndex()).append("/applied:").append(n.appliedIndex)
                        .append("/last:").append(n.raft.log().lastIndex());
            } else {
                sb.append(' ').append(n.id).append("=down");
            }
        }
        return sb.toString();
    }

    private int leaderIndex() {
        int best = -1;
        for (int i : upIndices()) {
            RaftNode r = nodes.get(i).raft;
            if (r.role() == Role.LEADER && (best < 0 || r.term() > nodes.get(best).raft.term())) {
                best = i;
            }
        }
        return best;
    }

    private List<Integer> upIndices() {
        List<Integer> up = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).up()) {
                up.add(i);
            }
        }
        return up;
    }

    private List<RaftNode> upNodes() {
        List<RaftNode> up = new ArrayList<>(nodes.size());
        for (SimNode n : nodes) {
            if (n.up()) {
                up.add(n.raft);
            }
        }
        return up;
    }

    private void schedule(long time, Object event) {
        queue.add(new Scheduled(time, seq++, event));
    }

    private void log(java.util.function.Supplier<String> line) {
        if (trace != null) {
            trace.accept(String.format("%9.3fms %s", now / 1000.0, line.get()));
        }
    }
}
