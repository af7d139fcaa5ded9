package io.raftkv.testkit.scenario;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.FollowerStatus;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.core.NotLeader;
import io.raftkv.core.ProposalResult;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.RaftNode;
import io.raftkv.core.ReadIndexResult;
import io.raftkv.core.ReadState;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.Status;
import io.raftkv.core.TransferResult;
import io.raftkv.core.log.MemoryLogStorage;
import io.raftkv.core.message.RaftMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A cluster of real {@link RaftNode}s driven one step at a time, for scenario scripts. Nothing happens unless
 * asked for: a node's output stays inside it until it is {@link #process processed} (its Ready persisted into
 * its {@link MemoryLogStorage} at once, its messages put in flight, its committed entries applied), and a
 * message in flight reaches its receiver only when it is {@link #deliver delivered}. Every step is written to
 * the {@link Transcript}.
 *
 * <p>The network is one FIFO queue of messages in flight. A partition is a set of blocked directed links: a
 * message on a blocked link is dropped when its turn to be delivered comes, as is a message to a crashed node.
 * A crash throws the node object away (with everything it had not handed out for persisting, and its state
 * machine); a restart builds a new node from the same storage.
 *
 * <p>Deterministic: nodes are visited in the order they were declared, and each node's election-timeout
 * randomness comes from a {@link SplittableRandom} seeded from its position and its number of restarts.
 */
public final class ScenarioCluster {

    /** How many stabilize rounds (process everything, deliver everything) before declaring a livelock. */
    private static final int MAX_STABILIZE_ROUNDS = 10_000;

    /**
     * Selects messages in flight by sender, receiver and type name ({@code AppendEntries}, {@code Vote},
     * {@code PreVote}, ...). A null field matches anything.
     */
    public record MessageFilter(String from, String to, String type) {

        /** Matches every message. */
        public static final MessageFilter ANY = new MessageFilter(null, null, null);

        boolean matches(RaftMessage m) {
            return (from == null || from.equals(m.from().value()))
                    && (to == null || to.equals(m.to().value()))
                    && (type == null || type.equalsIgnoreCase(TraceFormat.type(m)));
        }
    }

    /** One entry some node applied at some index: the first one applied there defines the index. */
    private record AppliedEntry(String node, Entry entry) {
    }

    /** One server: durable storage that survives crashes, and the node and state machine that do not. */
    static final class Member {
        final String name;
        final RaftConfig config;
        final MemoryLogStorage disk;
        final long seed;
        int incarnation;
        RaftNode raft;
        /** Entries applied by the current incarnation's state machine, in order. */
        final List<Entry> applied = new ArrayList<>();
        /** Read request id to served read index, over all incarnations. */
        final Map<Long, Long> reads = new LinkedHashMap<>();
        final Set<Long> abortedReads = new LinkedHashSet<>();
        /** The state last written to the transcript, to print only changes. */
        String shownState;

        Member(String name, RaftConfig config, MemoryLogStorage disk, long seed) {
            this.name = name;
            this.config = config;
            this.disk = disk;
            this.seed = seed;
        }

        boolean up() {
            return raft != null;
        }

        RaftNode raft() {
            if (raft == null) {
                throw new IllegalArgumentException("n" + name + " is down");
            }
            return raft;
        }

        void boot() {
            raft = new RaftNode(config, disk, new SplittableRandom(seed * 1_000 + incarnation));
        }
    }

    private final Map<String, Member> members = new LinkedHashMap<>();
    private final List<RaftMessage> inFlight = new ArrayList<>();
    /** Blocked directed links, as "from>to". */
    private final Set<String> blockedLinks = new TreeSet<>();
    private final List<RaftMessage> delivered = new ArrayList<>();
    private int droppedCount;
    private final Map<Long, AppliedEntry> appliedAt = new TreeMap<>();
    private final List<String> appliedConflicts = new ArrayList<>();
    /** Conflicting entries already reported, so that each is named once however many nodes apply it. */
    private final Set<String> reportedConflicts = new TreeSet<>();
    private final Transcript out;

    /**
     * Creates the nodes, all voters of one configuration, with empty logs.
     *
     * @param names     node ids, in the order nodes are visited
     * @param configFor the settings of each node
     * @param out       where every step is written
     */
    public ScenarioCluster(List<String> names, Function<NodeId, RaftConfig> configFor, Transcript out) {
        this.out = Objects.requireNonNull(out, "out");
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        Configuration conf = Configuration.ofVoters(names.toArray(new String[0]));
        long seed = 1;
        for (String name : names) {
            if (members.containsKey(name)) {
                throw new IllegalArgumentException("node " + name + " declared twice");
            }
            Member m = new Member(name, configFor.apply(NodeId.of(name)), new MemoryLogStorage(conf), seed++);
            m.boot();
            m.shownState = describe(m);
            members.put(name, m);
        }
    }

    // ------------------------------------------------------------------------------------------------ setup

    /**
     * Replaces a node's persisted log by entries of the given terms at indexes 1, 2, ... and restarts the node
     * from it (setup before the scenario starts). The persisted term is raised to the last entry's term if lower.
     */
    public void setLog(String name, List<Long> terms) {
        Member m = member(name);
        m.disk.truncateFrom(1);
        List<Entry> entries = new ArrayList<>();
        long index = 1;
        for (long t : terms) {
            entries.add(Entry.command(index++, t, new byte[0]));
        }
        m.disk.append(entries);
        long lastTerm = terms.isEmpty() ? 0 : terms.get(terms.size() - 1);
        if (m.disk.hardState().term() < lastTerm) {
            m.disk.setHardState(new HardState(lastTerm, null));
        }
        m.boot();
        m.shownState = describe(m);
    }

    /** Sets a node's persisted term (with no vote) and restarts it from its storage (setup). */
    public void setTerm(String name, long term) {
        Member m = member(name);
        m.disk.setHardState(new HardState(term, null));
        m.boot();
        m.shownState = describe(m);
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /** Makes the node start an election now, as if its election timeout had fired. */
    public void campaign(String name) {
        Member m = member(name);
        m.raft().campaign();
        noteState(m, 2);
    }

    /** Ticks one node {@code count} times (its output stays inside it until processed). */
    public void tick(String name, int count) {
        Member m = member(name);
        for (int i = 1; i <= count; i++) {
            if (count > 1) {
                out.quiet("tick " + i + ": ");
            }
            m.raft().tick();
            noteState(m, 2);
        }
        out.loud();
    }

    /** Ticks every running node {@code count} times, without processing or delivering anything. */
    public void tickAll(int count) {
        for (int i = 1; i <= count; i++) {
            if (count > 1) {
                out.quiet("tick " + i + ": ");
            }
            for (Member m : members.values()) {
                if (m.up()) {
                    m.raft.tick();
                    noteState(m, 2);
                }
            }
        }
        out.loud();
    }

    /**
     * Lets time pass: {@code ticks} times, tick every running node and then {@link #stabilize()}. Only
     * events (role and term changes, served and aborted reads) are written, each with its tick number,
     * followed by a count of the messages delivered and dropped.
     */
    public void run(int ticks) {
        int deliveredBefore = delivered.size();
        int droppedBefore = droppedCount;
        try {
            for (int i = 1; i <= ticks; i++) {
                out.quiet("tick " + i + ": ");
                for (Member m : members.values()) {
                    if (m.up()) {
                        m.raft.tick();
                        noteState(m, 2);
                    }
                }
                settle();
            }
        } finally {
            out.loud();
        }
        out.line("  (" + ticks + " ticks: " + (delivered.size() - deliveredBefore) + " messages delivered, "
                + (droppedCount - droppedBefore) + " dropped)");
    }

    /** Proposes the commands as consecutive entries at the node. */
    public void propose(String name, List<String> commands) {
        Member m = member(name);
        List<byte[]> data = new ArrayList<>();
        for (String c : commands) {
            data.add(c.getBytes(StandardCharsets.UTF_8));
        }
        ProposalResult r = m.raft().propose(data);
        if (r instanceof ProposalResult.Accepted a) {
            out.line("  n" + name + " appended " + (a.firstIndex() == a.lastIndex() ? "" + a.firstIndex()
                    : a.firstIndex() + ".." + a.lastIndex()) + " in t" + a.term());
        } else if (r instanceof NotLeader nl) {
            out.line("  n" + name + " refused: not leader" + leaderHint(nl));
        } else if (r instanceof ProposalResult.TransferInProgress t) {
            out.line("  n" + name + " refused: leadership transfer to n" + t.target() + " in progress");
        } else if (r instanceof ProposalResult.Overloaded o) {
            out.line("  n" + name + " refused: overloaded (" + o.uncommittedBytes() + " of " + o.limit()
                    + " uncommitted bytes)");
        }
        noteState(m, 2);
    }

    /** Requests a linearizable read barrier with the given id at the node. */
    public void read(String name, long requestId) {
        Member m = member(name);
        ReadIndexResult r = m.raft().readIndex(requestId);
        if (r instanceof NotLeader nl) {
            out.line("  n" + name + " refused read " + requestId + ": not leader" + leaderHint(nl));
        } else {
            out.line("  n" + name + " accepted read " + requestId);
        }
        noteState(m, 2);
    }

    /** Asks the node, a leader, to hand leadership to {@code target}. */
    public void transfer(String name, String target) {
        Member m = member(name);
        member(target);
        TransferResult r = m.raft().transferLeadership(NodeId.of(target));
        if (r instanceof TransferResult.Started) {
            out.line("  n" + name + " started transferring leadership to n" + target);
        } else if (r instanceof NotLeader nl) {
            out.line("  n" + name + " refused transfer: not leader" + leaderHint(nl));
        } else if (r instanceof TransferResult.InvalidTarget bad) {
            out.line("  n" + name + " refused transfer: " + bad.reason());
        }
        noteState(m, 2);
    }

    private static String leaderHint(NotLeader nl) {
        return nl.leaderHint() == null ? " (no leader known)" : " (leader is n" + nl.leaderHint() + ")";
    }

    // ------------------------------------------------------------------------------------------------ ready and network

    /** Handles one Ready of the node, if it has one: persist, put messages in flight, apply, advance. */
    public void process(String name) {
        Member m = member(name);
        if (!m.raft().hasReady()) {
            out.line("  n" + name + " has nothing to do");
            return;
        }
        handleReady(m);
    }

    private void handleReady(Member m) {
        RaftNode raft = m.raft();
        Ready rd = raft.ready();
        out.detail(2, "n" + m.name + " ready");
        if (rd.hardState() != null) {
            m.disk.setHardState(rd.hardState());
            out.detail(4, "persist hardstate t" + rd.hardState().term()
                    + (rd.hardState().votedFor() == null ? "" : " vote=" + rd.hardState().votedFor()));
        }
        if (!rd.entries().isEmpty()) {
            m.disk.append(rd.entries());
            out.detail(4, "persist entries " + TraceFormat.entries(rd.entries()));
        }
        // Persisting is synchronous here, so the messages that had to wait for it go out with the others.
        for (RaftMessage msg : rd.messages()) {
            send(msg);
        }
        for (RaftMessage msg : rd.messagesAfterPersist()) {
            send(msg);
        }
        if (!rd.committedEntries().isEmpty()) {
            out.detail(4, "apply " + TraceFormat.entries(rd.committedEntries()));
            for (Entry e : rd.committedEntries()) {
                apply(m, e);
            }
            raft.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).index());
        }
        for (ReadState rs : rd.readStates()) {
            m.reads.put(rs.requestId(), rs.index());
            out.event(4, "n" + m.name + " serves read " + rs.requestId() + " at index " + rs.index());
        }
        for (long id : rd.abortedReads()) {
            m.abortedReads.add(id);
            out.event(4, "n" + m.name + " aborts read " + id);
        }
        raft.advance(rd);
        noteState(m, 4);
    }

    private void send(RaftMessage msg) {
        out.detail(4, "send " + TraceFormat.message(msg));
        inFlight.add(msg);
    }

    private void apply(Member m, Entry e) {
        m.applied.add(e);
        AppliedEntry first = appliedAt.putIfAbsent(e.index(), new AppliedEntry(m.name, e));
        if (first != null && !first.entry().equals(e) && reportedConflicts.add(e.index() + "/" + e.term())) {
            String conflict = "index " + e.index() + ": n" + first.node() + " applied " + TraceFormat.entry(first.entry())
                    + " but n" + m.name + " applied " + TraceFormat.entry(e);
            appliedConflicts.add(conflict);
            out.event(4, "SAFETY VIOLATION " + conflict);
        }
    }

    /** Delivers the matching messages in flight, oldest first; {@code limit < 0} means all of them. */
    public void deliver(MessageFilter filter, int limit) {
        List<RaftMessage> chosen = take(filter, limit);
        if (chosen.isEmpty()) {
            out.line("  no matching message in flight");
        }
        for (RaftMessage msg : chosen) {
            deliverOne(msg);
        }
    }

    /** Removes the matching messages in flight without delivering them; {@code limit < 0} means all. */
    public void drop(MessageFilter filter, int limit) {
        List<RaftMessage> chosen = take(filter, limit);
        if (chosen.isEmpty()) {
            out.line("  no matching message in flight");
        }
        for (RaftMessage msg : chosen) {
            droppedCount++;
            out.line("  dropped " + TraceFormat.message(msg));
        }
    }

    private List<RaftMessage> take(MessageFilter filter, int limit) {
        List<RaftMessage> chosen = new ArrayList<>();
        Iterator<RaftMessage> it = inFlight.iterator();
        while (it.hasNext() && (limit < 0 || chosen.size() < limit)) {
            RaftMessage msg = it.next();
            if (filter.matches(msg)) {
                chosen.add(msg);
                it.remove();
            }
        }
        return chosen;
    }

    private void deliverOne(RaftMessage msg) {
        String line = TraceFormat.message(msg);
        Member to = member(msg.to().value());
        if (blockedLinks.contains(msg.from() + ">" + msg.to())) {
            droppedCount++;
            out.detail(2, line + "  (dropped: partition)");
            return;
        }
        if (!to.up()) {
            droppedCount++;
            out.detail(2, line + "  (dropped: n" + to.name + " is down)");
            return;
        }
        out.detail(2, line);
        delivered.add(msg);
        to.raft.step(msg);
        noteState(to, 4);
    }

    /**
     * Processes every Ready and delivers every message, over and over, until no node has anything to do and
     * nothing is in flight. Messages on blocked links and to crashed nodes are dropped on the way.
     */
    public void stabilize() {
        settle();
    }

    private void settle() {
        for (int round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
            boolean busy = false;
            for (Member m : members.values()) {
                while (m.up() && m.raft.hasReady()) {
                    handleReady(m);
                    busy = true;
                }
            }
            if (!inFlight.isEmpty()) {
                List<RaftMessage> batch = new ArrayList<>(inFlight);
                inFlight.clear();
                for (RaftMessage msg : batch) {
                    deliverOne(msg);
                }
                busy = true;
            }
            if (!busy) {
                return;
            }
        }
        throw new IllegalStateException("the cluster did not stabilize within " + MAX_STABILIZE_ROUNDS + " rounds");
    }

    // ------------------------------------------------------------------------------------------------ faults

    /**
     * Blocks every link between nodes of different groups, in both directions (adding to any partition in
     * place). Links of nodes not named keep working.
     */
    public void partition(List<List<String>> groups) {
        for (List<String> g : groups) {
            for (String name : g) {
                member(name);
            }
        }
        for (int i = 0; i < groups.size(); i++) {
            for (int j = 0; j < groups.size(); j++) {
                if (i != j) {
                    for (String a : groups.get(i)) {
                        for (String b : groups.get(j)) {
                            blockedLinks.add(a + ">" + b);
                        }
                    }
                }
            }
        }
    }

    /** Blocks every link to and from the node. */
    public void isolate(String name) {
        member(name);
        for (String other : members.keySet()) {
            if (!other.equals(name)) {
                blockedLinks.add(name + ">" + other);
                blockedLinks.add(other + ">" + name);
            }
        }
    }

    /** Unblocks every link. */
    public void heal() {
        blockedLinks.clear();
    }

    /**
     * Crashes the node: whatever it had not handed out for persisting is lost, and so is its state machine.
     * Messages it already sent stay in flight.
     */
    public void crash(String name) {
        Member m = member(name);
        RaftNode raft = m.raft();
        List<String> lost = new ArrayList<>();
        Status s = raft.status();
        HardState disk = m.disk.hardState();
        if (s.term() != disk.term() || !Objects.equals(s.votedFor(), disk.votedFor())) {
            lost.add("hardstate t" + s.term() + (s.votedFor() == null ? "" : " vote=" + s.votedFor()));
        }
        List<Entry> unpersisted = raft.log().entries(raft.log().persistedIndex() + 1, raft.log().lastIndex());
        if (!unpersisted.isEmpty()) {
            lost.add("entries " + TraceFormat.entries(unpersisted));
        }
        String was = describe(m);
        m.raft = null;
        m.applied.clear();
        m.shownState = describe(m);
        out.line("  n" + name + " crashed (was " + was + ")"
                + (lost.isEmpty() ? "" : "; lost unpersisted " + String.join(", ", lost)));
    }

    /** Starts a new node from the crashed node's storage. */
    public void restart(String name) {
        Member m = member(name);
        if (m.up()) {
            throw new IllegalArgumentException("n" + name + " is running; crash it first");
        }
        m.incarnation++;
        m.boot();
        m.shownState = describe(m);
        out.line("  " + statusLine(m));
    }

    // ------------------------------------------------------------------------------------------------ views

    /** Writes one status line per named node (all nodes if none), with the leader's view of its followers. */
    public void status(Collection<String> names) {
        for (String name : names.isEmpty() ? members.keySet() : names) {
            Member m = member(name);
            out.line("  " + statusLine(m));
            if (m.up() && m.raft.role() == Role.LEADER) {
                for (FollowerStatus f : m.raft.status().followers()) {
                    out.line("    n" + f.id() + " " + f.state() + " match=" + f.match() + " next=" + f.next()
                            + " inflight=" + f.inflight());
                }
            }
        }
    }

    /** Writes every node's log, one line each. */
    public void logs() {
        for (Member m : members.values()) {
            out.line("  n" + m.name + ": " + TraceFormat.entries(log(m)));
        }
    }

    /** Writes the messages in flight, oldest first. */
    public void queue() {
        if (inFlight.isEmpty()) {
            out.line("  (nothing in flight)");
        }
        for (RaftMessage msg : inFlight) {
            out.line("  " + TraceFormat.message(msg));
        }
    }

    private String statusLine(Member m) {
        if (!m.up()) {
            HardState hs = m.disk.hardState();
            return "n" + m.name + " DOWN t" + hs.term() + (hs.votedFor() == null ? "" : " vote=" + hs.votedFor())
                    + " log=" + TraceFormat.entries(log(m));
        }
        Status s = m.raft.status();
        StringBuilder b = new StringBuilder("n" + m.name + " " + s.role() + " t" + s.term());
        if (s.votedFor() != null) {
            b.append(" vote=").append(s.votedFor());
        }
        if (s.leader() != null && s.role() != Role.LEADER) {
            b.append(" leader=").append(s.leader());
        }
        b.append(" commit=").append(s.commitIndex()).append(" applied=").append(s.appliedIndex())
                .append(" last=").append(s.lastIndex()).append(" log=").append(TraceFormat.entries(log(m)));
        return b.toString();
    }

    /** The short state printed when it changes: role, term and known leader. */
    private static String describe(Member m) {
        if (!m.up()) {
            return "DOWN";
        }
        RaftNode r = m.raft;
        String s = r.role() + " t" + r.term();
        if (r.leader() != null && r.role() != Role.LEADER) {
            s += " leader=" + r.leader();
        }
        return s;
    }

    private void noteState(Member m, int indent) {
        String now = describe(m);
        if (!now.equals(m.shownState)) {
            out.event(indent, "n" + m.name + ": " + m.shownState + " -> " + now);
            m.shownState = now;
        }
    }

    // ------------------------------------------------------------------------------------------------ for expectations

    Member member(String name) {
        Member m = members.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no node " + name + "; the nodes are " + members.keySet());
        }
        return m;
    }

    Collection<Member> members() {
        return members.values();
    }

    /** The node's whole log: the node's view if it runs, else what its storage holds. */
    List<Entry> log(Member m) {
        if (m.up()) {
            return m.raft.log().entries(1, m.raft.log().lastIndex());
        }
        long last = m.disk.lastIndex();
        return last < m.disk.firstIndex() ? List.of() : m.disk.entries(m.disk.firstIndex(), last, Long.MAX_VALUE);
    }

    /** Every message delivered so far, in order. */
    List<RaftMessage> delivered() {
        return delivered;
    }

    /** Descriptions of every index at which two different entries were applied (safety violations). */
    List<String> appliedConflicts() {
        return appliedConflicts;
    }
}
