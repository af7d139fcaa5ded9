package io.raftkv.core.log;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.HardState;
import io.raftkv.core.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A {@link LogStorage} held in memory: for tests, the simulator, benchmarks and applications that keep no
 * log across restarts. Not thread-safe; the runtime that owns the core owns this too.
 */
public final class MemoryLogStorage implements LogStorage {

    private HardState hardState = HardState.INITIAL;
    /** Index and term of the entry just before {@code entries.get(0)} (a snapshot's last entry, or 0/0). */
    private long offsetIndex;
    private long offsetTerm;
    /** The latest snapshot: at or after {@code offsetIndex} (entries before it may be kept as a margin). */
    private SnapshotMeta snapshot;
    private final ArrayList<Entry> entries = new ArrayList<>();
    /** Indices of the configuration entries in {@code entries}. */
    private final TreeSet<Long> configurationIndices = new TreeSet<>();

    /** An empty log for a node that starts with the given membership (the configuration "at index 0"). */
    public MemoryLogStorage(Configuration configuration) {
        this.snapshot = SnapshotMeta.none(Objects.requireNonNull(configuration, "configuration"));
    }

    @Override
    public HardState hardState() {
        return hardState;
    }

    @Override
    public List<Entry> configurationEntries() {
        List<Entry> out = new ArrayList<>();
        for (long index : configurationIndices.tailSet(snapshot.index(), false)) {
            out.add(entry(index));
        }
        return out;
    }

    /**
     * The membership in force at {@code index} (held, or the snapshot's index): that of the latest
     * configuration entry at or before it, or the snapshot's. What a snapshot taken at {@code index} records.
     */
    public Configuration configurationAt(long index) {
        Long at = configurationIndices.floor(index);
        if (at != null && at > snapshot.index()) {
            return entry(at).configuration();
        }
        if (index < snapshot.index()) {
            throw new IllegalArgumentException("the configuration at " + index + " is not known: the snapshot at "
                    + snapshot.index() + " replaced the log before it");
        }
        return snapshot.configuration();
    }

    @Override
    public SnapshotMeta snapshot() {
        return snapshot;
    }

    @Override
    public long firstIndex() {
        return offsetIndex + 1;
    }

    @Override
    public long lastIndex() {
        return offsetIndex + entries.size();
    }

    @Override
    public long term(long index) {
        if (index == offsetIndex) {
            return offsetTerm;
        }
        checkHeld(index);
        return entries.get((int) (index - offsetIndex - 1)).term();
    }

    @Override
    public List<Entry> entries(long from, long toInclusive, long maxBytes) {
        checkHeld(from);
        long to = Math.min(toInclusive, lastIndex());
        int start = (int) (from - offsetIndex - 1);
        int end = (int) (to - offsetIndex);
        long bytes = 0;
        int i = start;
        while (i < end) {
            long size = entries.get(i).sizeBytes();
            if (i > start && bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            i++;
        }
        return RaftLog.copyOf(entries.subList(start, i));
    }

    /** The entry at {@code index}. */
    public Entry entry(long index) {
        checkHeld(index);
        return entries.get((int) (index - offsetIndex - 1));
    }

    /** Records the hard state as durable. */
    public void setHardState(HardState state) {
        this.hardState = Objects.requireNonNull(state, "hard state");
    }

    /**
     * Appends {@code batch}, first removing every held entry at or after its first index (the suffix it
     * replaces). The batch must start no later than {@code lastIndex() + 1}.
     */
    public void append(List<Entry> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long first = batch.get(0).index();
        if (first <= offsetIndex) {
            throw new IllegalArgumentException(
                    "cannot append at index " + first + ": the log starts after " + offsetIndex);
        }
        if (first > lastIndex() + 1) {
            throw new IllegalArgumentException(
                    "cannot append at index " + first + ": the log ends at " + lastIndex() + " (gap)");
        }
        truncateFrom(first);
        entries.addAll(batch);
        for (Entry e : batch) {
            if (e.type() == EntryType.CONFIGURATION) {
                configurationIndices.add(e.index());
            }
        }
    }

    /** Removes every entry at or after {@code index}. */
    public void truncateFrom(long index) {
        int keep = (int) Math.max(0, index - offsetIndex - 1);
        if (keep < entries.size()) {
            entries.subList(keep, entries.size()).clear();
        }
        configurationIndices.tailSet(Math.max(index, offsetIndex + 1), true).clear();
    }

    /**
     * Treats the state at {@code index} (which must be held) as snapshotted and discards the entries up to it;
     * its term is remembered so that consistency checks just after it still work.
     */
    public void compact(long index) {
        if (index <= offsetIndex) {
            return;
        }
        checkHeld(index);
        if (index > snapshot.index()) {
            snapshot = new SnapshotMeta(index, term(index), configurationAt(index));
        }
        discardThrough(index);
    }

    /**
     * Records {@code snapshot} (of this node's applied state; its index must be held) and discards the entries
     * up to {@code keepEntries} before its index, a margin from which slightly lagging followers still catch up.
     */
    public void compact(SnapshotMeta snapshot, long keepEntries) {
        if (snapshot.index() <= this.snapshot.index()) {
            return;
        }
        checkHeld(snapshot.index());
        this.snapshot = snapshot;
        discardThrough(Math.max(offsetIndex, snapshot.index() - Math.max(0, keepEntries)));
    }

    private void discardThrough(long index) {
        if (index <= offsetIndex) {
            return;
        }
        long term = term(index);
        entries.subList(0, (int) (index - offsetIndex)).clear();
        configurationIndices.headSet(index, true).clear();
        offsetIndex = index;
        offsetTerm = term;
    }

    /**
     * Installs a snapshot received from the leader: a log that holds the snapshot's last entry keeps what
     * follows it; any other log is discarded. The snapshot's membership is the base under the configuration
     * entries kept after it.
     */
    public void applySnapshot(SnapshotMeta snapshot) {
        if (snapshot.index() <= this.snapshot.index()) {
            throw new IllegalArgumentException("snapshot at " + snapshot.index() + " is not newer than the "
                    + "snapshot at " + this.snapshot.index());
        }
        boolean holds = snapshot.index() > offsetIndex && snapshot.index() <= lastIndex()
                && term(snapshot.index()) == snapshot.term();
        if (holds) {
            entries.subList(0, (int) (snapshot.index() - offsetIndex)).clear();
            configurationIndices.headSet(snapshot.index(), true).clear();
        } else {
            entries.clear();
            configurationIndices.clear();
        }
        offsetIndex = snapshot.index();
        offsetTerm = snapshot.term();
        this.snapshot = snapshot;
    }

    private void checkHeld(long index) {
        if (index <= offsetIndex || index > lastIndex()) {
            throw new IndexOutOfBoundsException(
                    "index " + index + " is not held; the log holds " + firstIndex() + ".." + lastIndex());
        }
    }
}
