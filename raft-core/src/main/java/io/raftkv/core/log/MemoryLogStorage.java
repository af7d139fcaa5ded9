package io.raftkv.core.log;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link LogStorage} held in memory: for tests, the simulator, benchmarks and applications that keep no
 * log across restarts. Not thread-safe; the runtime that owns the core owns this too.
 */
public final class MemoryLogStorage implements LogStorage {

    private HardState hardState = HardState.INITIAL;
    private Configuration configuration;
    /** Index and term of the entry just before {@code entries.get(0)} (a snapshot's last entry, or 0/0). */
    private long offsetIndex;
    private long offsetTerm;
    private final ArrayList<Entry> entries = new ArrayList<>();

    /** An empty log for a node that starts with the given membership. */
    public MemoryLogStorage(Configuration configuration) {
        this.configuration = Objects.requireNonNull(configuration, "configuration");
    }

    @Override
    public HardState hardState() {
        return hardState;
    }

    @Override
    public Configuration configuration() {
        return configuration;
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

    /** Replaces the membership (used when bootstrapping). */
    public void setConfiguration(Configuration configuration) {
        this.configuration = Objects.requireNonNull(configuration, "configuration");
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
    }

    /** Removes every entry at or after {@code index}. */
    public void truncateFrom(long index) {
        int keep = (int) Math.max(0, index - offsetIndex - 1);
        if (keep < entries.size()) {
            entries.subList(keep, entries.size()).clear();
        }
    }

    /**
     * Discards entries up to and including {@code index}, which must be held; its term is remembered as the
     * new offset so that consistency checks just after it still work.
     */
    public void compact(long index) {
        if (index <= offsetIndex) {
            return;
        }
        checkHeld(index);
        long term = term(index);
        entries.subList(0, (int) (index - offsetIndex)).clear();
        offsetIndex = index;
        offsetTerm = term;
    }

    private void checkHeld(long index) {
        if (index <= offsetIndex || index > lastIndex()) {
            throw new IndexOutOfBoundsException(
                    "index " + index + " is not held; the log holds " + firstIndex() + ".." + lastIndex());
        }
    }
}
