package io.raftkv.testkit.sim;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftNode;
import io.raftkv.core.Role;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.log.LogView;
import io.raftkv.core.log.LogStorage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks Raft's safety properties over a simulated cluster, incrementally, after every event:
 *
 * <ul>
 *   <li><b>Election Safety</b>: at most one leader per term;</li>
 *   <li><b>Log Matching</b>: two durable logs with an entry of the same index and term hold identical prefixes
 *       up to it (checked by a hash chain over every durable log);</li>
 *   <li><b>Leader Completeness</b>: a leader holds every entry committed in an earlier term;</li>
 *   <li><b>State Machine Safety</b>: no two nodes apply different entries at one index, and each node applies
 *       indices in order without gaps;</li>
 *   <li><b>Durability</b>: no committed entry is removed from a durable log, and each stays on a majority;</li>
 *   <li><b>Snapshots</b>: a node restoring a snapshot gets exactly the committed prefix up to its index (hash
 *       chains compared); entries a snapshot covers count as held by the nodes that have it;</li>
 *   <li><b>Read linearizability</b>: a read index covers every entry applied anywhere before the read began,
 *       and the node serving it has applied that far;</li>
 *   <li><b>Membership</b>: no two configurations that can decide anything at the same time have majorities
 *       that can be disjoint. Those are the latest committed configuration and every configuration in force on
 *       some node (up, or what its disk would restart with) whose entry lies beyond the highest index known
 *       committed, in a log that holds that committed entry; any other entry is committed and superseded, or
 *       on a branch that a committed entry has already cut off (it can never be committed, and a node holding
 *       it cannot win an election). A snapshot records the configuration of the committed prefix at its index, and a restarted
 *       node is in the configuration its durable log and snapshot say.</li>
 * </ul>
 *
 * "Committed" here means applied by some node: the strongest evidence the cluster can show a client.
 */
final class InvariantChecker {

    private record IndexTerm(long index, long term) {
    }

    /**
     * A configuration in force on a node: the entry (index, term) it comes from, and the term the node's log
     * holds at any index ({@code -1} where it holds none), to tell whether that entry can still be committed.
     */
    record ConfigurationInForce(NodeId node, long index, long term, Configuration configuration,
                                java.util.function.LongUnaryOperator logTerm) {
    }

    private final Configuration bootstrap;
    /** Highest index any node ever reported committed (commit indexes of crashed nodes included). */
    private long highestCommit;
    /** The term of the entry at {@code highestCommit}. */
    private long highestCommitTerm;
    /** Committed configuration entries seen (applied, or below a node's commit index): index to configuration. */
    private final TreeMap<Long, Configuration> committedConfigurations = new TreeMap<>();
    /** Per node: the configurations its durable log and snapshot hold, by index (the snapshot's at its index). */
    private final Map<NodeId, TreeMap<Long, Configuration>> durableConfigurations = new HashMap<>();
    private int configurationChecks;
    private final Map<Long, NodeId> leaderByTerm = new HashMap<>();
    /** Entry applied at index i is at position i - 1. */
    private final List<Entry> committed = new ArrayList<>();
    /** The term of the node that first applied each committed entry: an upper bound on its commit term. */
    private final List<Long> observedTerm = new ArrayList<>();
    /** Hash chain over the committed entries: position i - 1 covers indices 1..i. */
    private final List<Long> committedHash = new ArrayList<>();
    private final Map<IndexTerm, Long> prefixHashByEntry = new HashMap<>();
    /** Per node: prefix hash of its durable log, position i - 1 for index i. */
    private final Map<NodeId, List<Long>> durablePrefix = new HashMap<>();
    /** Per node: up to which committed index the leader completeness check has run for its current term. */
    private final Map<NodeId, long[]> completenessChecked = new HashMap<>();

    InvariantChecker(Configuration bootstrap) {
        this.bootstrap = bootstrap;
        committedConfigurations.put(0L, bootstrap);
    }

    int leaderTerms() {
        return leaderByTerm.size();
    }

    long maxCommitted() {
        return committed.size();
    }

    /** Election Safety and Leader Completeness over the nodes that are up. */
    void checkLeaders(List<RaftNode> up) {
        for (RaftNode n : up) {
            if (n.role() != Role.LEADER) {
                continue;
            }
            NodeId previous = leaderByTerm.putIfAbsent(n.term(), n.id());
            if (previous != null && !previous.equals(n.id())) {
                throw new SafetyViolation("Election Safety: " + previous + " and " + n.id()
                        + " were both leader in term " + n.term());
            }
            long[] state = completenessChecked.computeIfAbsent(n.id(), k -> new long[] {-1, 0});
            if (state[0] != n.term()) {
                state[0] = n.term();
                state[1] = 0;
            }
            LogView log = n.log();
            for (long i = state[1] + 1; i <= committed.size(); i++) {
                Entry e = committed.get((int) (i - 1));
                if (i < log.firstIndex() - 1) {
                    continue; // compacted into the leader's snapshot, which was checked against the committed prefix
                }
                if (observedTerm.get((int) (i - 1)) < n.term() && log.term(i) != e.term()) {
                    throw new SafetyViolation("Leader Completeness: " + n.id() + " is leader of term " + n.term()
                            + " but lacks committed entry " + i + "/" + e.term() + " (it holds term "
                            + log.term(i) + " there)");
                }
            }
            state[1] = committed.size();
        }
    }

    /** State Machine Safety: {@code node} (in {@code term}, having applied up to {@code appliedBefore}) applies {@code e}. */
    void onApply(NodeId node, long term, long appliedBefore, Entry e) {
        if (e.index() != appliedBefore + 1) {
            throw new SafetyViolation("State Machine Safety: " + node + " applied index " + e.index()
                    + " right after " + appliedBefore);
        }
        int pos = (int) (e.index() - 1);
        if (pos < committed.size()) {
            Entry known = committed.get(pos);
            if (!known.equals(e)) {
                throw new SafetyViolation("State Machine Safety: " + node + " applied " + e + " at index "
                        + e.index() + " where another node applied " + known);
            }
        } else if (pos == committed.size()) {
            if (e.type() == EntryType.CONFIGURATION) {
                committedConfigurations.put(e.index(), e.configuration());
            }
            committed.add(e);
            observedTerm.add(term);
            committedHash.add(chain(committedHash.isEmpty() ? 0 : committedHash.get(pos - 1), e));
        } else {
            throw new SafetyViolation("State Machine Safety: " + node + " applied index " + e.index()
                    + " but no node applied " + (committed.size() + 1) + " yet");
        }
    }

    /** Snapshots: {@code node} restores a snapshot of the state after {@code index} with hash chain {@code hash}. */
    void onRestore(NodeId node, long index, long hash) {
        if (index > committed.size()) {
            throw new SafetyViolation("Snapshot: " + node + " restored a snapshot at " + index + " but only "
                    + committed.size() + " entries were ever applied anywhere");
        }
        if (committedHash.get((int) (index - 1)) != hash) {
            throw new SafetyViolation("Snapshot: " + node + " restored a snapshot at " + index
                    + " whose state differs from the committed entries up to there");
        }
    }

    /**
     * Durability and Log Matching across an installed snapshot: {@code disk} is about to be replaced by
     * {@code snapshot} (keeping its suffix if it holds the snapshot's last entry).
     */
    void onSnapshotInstalled(NodeId node, LogStorage disk, SnapshotMeta snapshot) {
        long s = snapshot.index();
        boolean holds = s >= disk.firstIndex() - 1 && s <= disk.lastIndex() && disk.term(s) == snapshot.term();
        List<Long> prefix = durablePrefix.computeIfAbsent(node, k -> new ArrayList<>());
        TreeMap<Long, Configuration> configs = durableConfigurations(node);
        if (holds) {
            configs.headMap(s, true).clear();
            configs.put(s, snapshot.configuration());
            return;
        }
        configs.clear();
        configs.put(s, snapshot.configuration());
        for (long i = Math.max(s + 1, disk.firstIndex()); i <= disk.lastIndex(); i++) {
            long oldTerm = disk.term(i);
            if (i <= committed.size() && committed.get((int) (i - 1)).term() == oldTerm) {
                throw new SafetyViolation("Durability: committed entry " + i + "/" + oldTerm + " removed from the "
                        + "durable log of " + node + " by installing snapshot " + s + "/" + snapshot.term());
            }
        }
        Long canonical = prefixHashByEntry.get(new IndexTerm(s, snapshot.term()));
        if (canonical == null) {
            throw new SafetyViolation("Snapshot: " + node + " installs snapshot " + s + "/" + snapshot.term()
                    + " but no node ever held that entry durably");
        }
        prefix.clear();
        for (long i = 1; i < s; i++) {
            prefix.add(0L); // covered by the snapshot: never read again
        }
        prefix.add(canonical);
    }

    /**
     * Log Matching and Durability: {@code node}'s durable log is about to receive {@code written} (already
     * cut to what reached the disk), after a truncation from {@code truncateFrom} if it is not -1.
     */
    void onDurableWrite(NodeId node, LogStorage disk, long truncateFrom, List<Entry> written) {
        List<Long> prefix = durablePrefix.computeIfAbsent(node, k -> new ArrayList<>());
        if (truncateFrom >= 0) {
            for (long i = truncateFrom; i <= disk.lastIndex(); i++) {
                long oldTerm = disk.term(i);
                int pos = (int) (i - truncateFrom);
                boolean kept = pos < written.size() && written.get(pos).term() == oldTerm;
                if (!kept && i <= committed.size() && committed.get((int) (i - 1)).term() == oldTerm) {
                    throw new SafetyViolation("Durability: committed entry " + i + "/" + oldTerm
                            + " removed from the durable log of " + node);
                }
            }
            while (prefix.size() >= truncateFrom) {
                prefix.remove(prefix.size() - 1);
            }
            durableConfigurations(node).tailMap(truncateFrom, true).clear();
        }
        for (Entry e : written) {
            if (e.type() == EntryType.CONFIGURATION) {
                durableConfigurations(node).put(e.index(), e.configuration());
            }
        }
        for (Entry e : written) {
            if (e.index() != prefix.size() + 1) {
                throw new SafetyViolation("Log Matching: " + node + " wrote entry " + e.index()
                        + " after durable index " + prefix.size());
            }
            long previous = prefix.isEmpty() ? 0 : prefix.get(prefix.size() - 1);
            long h = chain(previous, e);
            prefix.add(h);
            Long other = prefixHashByEntry.putIfAbsent(new IndexTerm(e.index(), e.term()), h);
            if (other != null && other != h) {
                throw new SafetyViolation("Log Matching: " + node + " holds entry " + e.index() + "/" + e.term()
                        + " with a log prefix that differs from another node's prefix up to that entry");
            }
        }
    }

    /**
     * Durability: every committed entry is on enough durable logs that no majority of the latest committed
     * configuration's voters lacks it, so no leader elected from now on can miss it. With a fixed odd number of
     * voters that is a majority. With membership changes it may be one voter fewer: a leader counts with the
     * configuration in its log from the moment it is appended, so an entry can be committed on a majority of a
     * successor configuration (which may then be lost in a crash) that is one voter short of a majority of the
     * committed one, yet meets every majority of it (single-server changes).
     */
    void checkCommittedOnMajority(Map<NodeId, LogStorage> disks) {
        Configuration c = committedConfigurations.lastEntry().getValue();
        int needed = c.voters().size() - c.quorum() + 1;
        for (int pos = 0; pos < committed.size(); pos++) {
            Entry e = committed.get(pos);
            int holders = 0;
            for (NodeId voter : c.voters()) {
                LogStorage disk = disks.get(voter);
                boolean inSnapshot = disk != null && e.index() <= disk.snapshot().index();
                if (disk != null && (inSnapshot
                        || (disk.lastIndex() >= e.index() && disk.term(e.index()) == e.term()))) {
                    holders++;
                }
            }
            if (holders < needed) {
                throw new SafetyViolation("Durability: committed entry " + e.index() + "/" + e.term() + " is on "
                        + holders + " of the durable logs of voters " + c.voters() + ": a majority of them lacks it");
            }
        }
    }

    /**
     * Membership, see the class comment: {@code inForce} holds every node's configuration (up nodes: the
     * core's; down nodes: their disk's) and {@code commitIndexes} the commit index of every node that is up.
     */
    void checkConfigurations(List<ConfigurationInForce> inForce, Map<NodeId, Long> commitIndexes) {
        configurationChecks++;
        if (committed.size() > highestCommit) {
            highestCommit = committed.size();
            highestCommitTerm = committed.get(committed.size() - 1).term();
        }
        for (ConfigurationInForce f : inForce) {
            Long c = commitIndexes.get(f.node());
            if (c != null && c > highestCommit) {
                highestCommit = c;
                highestCommitTerm = f.logTerm().applyAsLong(c);
            }
        }
        for (ConfigurationInForce f : inForce) {
            Long commit = commitIndexes.get(f.node());
            if (commit != null && f.index() <= commit) {
                Configuration known = committedConfigurations.putIfAbsent(f.index(), f.configuration());
                if (known != null && !known.equals(f.configuration())) {
                    throw new SafetyViolation("Membership: " + f.node() + " has committed configuration "
                            + f.configuration() + " at " + f.index() + " where " + known + " was committed");
                }
            }
        }
        Map.Entry<Long, Configuration> latest = committedConfigurations.lastEntry();
        List<ConfigurationInForce> live = new ArrayList<>();
        live.add(new ConfigurationInForce(null, latest.getKey(), -1, latest.getValue(), i -> -1));
        for (ConfigurationInForce f : inForce) {
            if (f.index() > highestCommit && f.logTerm().applyAsLong(highestCommit) == highestCommitTerm) {
                live.add(f);
            }
        }
        for (int i = 0; i < live.size(); i++) {
            for (int j = i + 1; j < live.size(); j++) {
                ConfigurationInForce a = live.get(i);
                ConfigurationInForce b = live.get(j);
                if (a.configuration().majoritiesCanBeDisjoint(b.configuration())) {
                    throw new SafetyViolation("Membership: configurations with majorities that can be disjoint are "
                            + "in force at once: " + describe(a) + " and " + describe(b) + " (highest commit "
                            + highestCommit + ")");
                }
            }
        }
    }

    private static String describe(ConfigurationInForce f) {
        return f.configuration().voters() + (f.node() == null ? " (latest committed, at " + f.index() + ")"
                : " (on " + f.node() + ", entry " + f.index() + "/" + f.term() + ")");
    }

    /** Snapshots: a snapshot taken at {@code meta.index()} records the committed prefix's configuration there. */
    void onSnapshotTaken(NodeId node, SnapshotMeta meta) {
        Configuration expected = committedConfigurationAt(meta.index());
        if (!expected.equals(meta.configuration())) {
            throw new SafetyViolation("Snapshot: " + node + " took a snapshot at " + meta.index() + " recording "
                    + meta.configuration() + " but the committed configuration there is " + expected);
        }
        TreeMap<Long, Configuration> configs = durableConfigurations(node);
        configs.headMap(meta.index(), true).clear();
        configs.put(meta.index(), meta.configuration());
    }

    /**
     * Recovery: a restarted node is in the configuration its durable log and snapshot say: the latest
     * configuration entry that was durable, or the snapshot's, or the bootstrap membership.
     */
    void verifyRecoveredConfiguration(NodeId node, LogStorage disk, Configuration inForce) {
        Configuration expected = durableConfiguration(node).getValue();
        if (!expected.equals(disk.configuration()) || !expected.equals(inForce)) {
            throw new SafetyViolation("Recovery: " + node + " restarted in configuration " + inForce + " (its storage "
                    + "says " + disk.configuration() + ") but its durable log and snapshot say " + expected);
        }
    }

    /** The configuration {@code node}'s durable log and snapshot hold, by the index it comes from. */
    Map.Entry<Long, Configuration> durableConfiguration(NodeId node) {
        TreeMap<Long, Configuration> configs = durableConfigurations(node);
        return configs.isEmpty() ? Map.entry(0L, bootstrap) : configs.lastEntry();
    }

    private Configuration committedConfigurationAt(long index) {
        Configuration c = bootstrap;
        for (int i = (int) Math.min(index, committed.size()); i >= 1; i--) {
            Entry e = committed.get(i - 1);
            if (e.type() == EntryType.CONFIGURATION) {
                return e.configuration();
            }
        }
        return c;
    }

    private TreeMap<Long, Configuration> durableConfigurations(NodeId node) {
        return durableConfigurations.computeIfAbsent(node, k -> new TreeMap<>());
    }

    int configurationChecks() {
        return configurationChecks;
    }

    /**
     * Recovery: after a restart, {@code node}'s storage holds exactly the durable log this checker recorded
     * (every entry whose write completed, nothing torn, nothing lost).
     */
    void verifyRecovered(NodeId node, LogStorage disk) {
        List<Long> prefix = durablePrefix.getOrDefault(node, List.of());
        if (disk.lastIndex() != prefix.size()) {
            throw new SafetyViolation("Recovery: " + node + " restarted with a log ending at " + disk.lastIndex()
                    + " but its durable log ends at " + prefix.size());
        }
        long from = disk.firstIndex();
        long h = from >= 2 ? prefix.get((int) (from - 2)) : 0;
        for (long i = from; i <= disk.lastIndex(); i += 256) {
            for (Entry e : disk.entries(i, Math.min(disk.lastIndex(), i + 255), Long.MAX_VALUE)) {
                h = chain(h, e);
                if (h != prefix.get((int) (e.index() - 1))) {
                    throw new SafetyViolation("Recovery: " + node + " restarted with entry " + e.index() + "/"
                            + e.term() + " (or an entry before it) different from what was durable");
                }
            }
        }
    }

    /** Read linearizability, see the class comment. */
    void onRead(NodeId node, long requestId, long readIndex, long appliedAtStart, long nodeApplied) {
        if (readIndex < appliedAtStart) {
            throw new SafetyViolation("Linearizable read: read " + requestId + " at " + node + " got read index "
                    + readIndex + " but index " + appliedAtStart + " was applied before the read began");
        }
        if (nodeApplied < readIndex) {
            throw new SafetyViolation("Linearizable read: read " + requestId + " released at " + node
                    + " with applied index " + nodeApplied + " below its read index " + readIndex);
        }
    }

    /** One link of the hash chains over logs and applied entries. */
    static long chain(long previous, Entry e) {
        long h = previous * 0x9E3779B97F4A7C15L + e.index();
        h ^= e.term() * 0xC2B2AE3D27D4EB4FL;
        h ^= (long) Arrays.hashCode(e.data()) * 0x165667B19E3779F9L + e.type().ordinal();
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 29);
    }
}
