package io.raftkv.core.log;

import io.raftkv.core.Entry;
import io.raftkv.core.RaftInvariantViolation;
import io.raftkv.core.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * The core's log: the durable part in {@link LogStorage} followed by the entries appended but not yet
 * acknowledged as persisted, plus the commit and apply cursors. Internal to the core; see {@link LogView}
 * for the read-only face.
 *
 * <p>Invariants: {@code applied <= applying <= committed <= lastIndex()}; {@code committed} never moves back;
 * an entry at or below {@code committed} is never replaced.
 */
public final class RaftLog implements LogView {

    private final LogStorage storage;
    /** Entries not yet acknowledged as persisted; {@code unstable.get(0)} has index {@code unstableOffset}. */
    private final ArrayList<Entry> unstable = new ArrayList<>();
    private long unstableOffset;
    private long committed;
    /** Highest index handed to the runtime for applying. */
    private long applying;
    /** Highest index the runtime reported as applied. */
    private long applied;
    /**
     * A snapshot received from the leader that replaces the log but is not yet installed in storage; while it
     * is set, the log starts after it (storage still holds the old log, which no longer counts).
     */
    private SnapshotMeta pendingSnapshot;

    public RaftLog(LogStorage storage) {
        this.storage = storage;
        this.unstableOffset = storage.lastIndex() + 1;
        // Everything up to the snapshot is committed and applied by definition (the runtime restores the state
        // machine from it); entries kept before it as a margin for lagging followers are not applied again.
        this.committed = Math.max(storage.firstIndex() - 1, storage.snapshot().index());
        this.applying = committed;
        this.applied = committed;
    }

    @Override
    public long firstIndex() {
        return pendingSnapshot != null ? pendingSnapshot.index() + 1 : storage.firstIndex();
    }

    /** The snapshot the log starts after (one received but not yet installed, or storage's). */
    public SnapshotMeta snapshot() {
        return pendingSnapshot != null ? pendingSnapshot : storage.snapshot();
    }

    /** The snapshot received from the leader and not yet installed, or null. */
    public SnapshotMeta pendingSnapshot() {
        return pendingSnapshot;
    }

    /**
     * Replaces the whole log with {@code snapshot} (from the leader; newer than the commit index, and not
     * matching this log at its index): everything up to its index counts as committed, and applying resumes
     * after it once the runtime has restored the state machine from it.
     */
    public void restore(SnapshotMeta snapshot) {
        if (snapshot.index() <= committed) {
            throw new RaftInvariantViolation("snapshot at " + snapshot.index() + " would move the commit index back"
                    + " from " + committed);
        }
        unstable.clear();
        unstableOffset = snapshot.index() + 1;
        pendingSnapshot = snapshot;
        committed = snapshot.index();
        applying = snapshot.index();
    }

    /** Records that the runtime installed {@code snapshot} in storage. */
    public void snapshotInstalled(SnapshotMeta snapshot) {
        if (snapshot.equals(pendingSnapshot)) {
            pendingSnapshot = null;
        }
    }

    @Override
    public long lastIndex() {
        return unstable.isEmpty() ? unstableOffset - 1 : unstableOffset + unstable.size() - 1;
    }

    @Override
    public long persistedIndex() {
        return unstableOffset - 1;
    }

    @Override
    public long commitIndex() {
        return committed;
    }

    /** Highest index the runtime reported as applied. */
    public long appliedIndex() {
        return applied;
    }

    /** Term of the last entry (0 for an empty log). */
    public long lastTerm() {
        return term(lastIndex());
    }

    @Override
    public long term(long index) {
        if (index >= unstableOffset) {
            long pos = index - unstableOffset;
            return pos < unstable.size() ? unstable.get((int) pos).term() : -1;
        }
        if (pendingSnapshot != null) {
            return index == pendingSnapshot.index() ? pendingSnapshot.term() : -1;
        }
        if (index < storage.firstIndex() - 1) {
            return -1;
        }
        return storage.term(index);
    }

    /** True if the log holds an entry at {@code index} with {@code term}. */
    public boolean matchTerm(long index, long term) {
        return term(index) == term;
    }

    /**
     * The "at least as up-to-date" rule of an election: a candidate whose last entry is ({@code lastIndex},
     * {@code lastTerm}) may get this node's vote only if its log is not behind this one.
     */
    public boolean isUpToDate(long lastIndex, long lastTerm) {
        long myTerm = lastTerm();
        return lastTerm > myTerm || (lastTerm == myTerm && lastIndex >= lastIndex());
    }

    /**
     * Follower side of the consistency check: if this log matches ({@code prevIndex}, {@code prevTerm}),
     * appends what is new in {@code entries} (replacing a conflicting suffix) and returns the index of the
     * last entry of the request; otherwise returns -1 and changes nothing.
     */
    public long tryAppend(long prevIndex, long prevTerm, List<Entry> entries) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNew = prevIndex + entries.size();
        int firstNew = firstConflict(entries);
        if (firstNew >= 0) {
            long conflictIndex = entries.get(firstNew).index();
            if (conflictIndex <= committed) {
                throw new RaftInvariantViolation("append would replace committed entry " + conflictIndex
                        + " (commit index " + committed + ", local term " + term(conflictIndex)
                        + ", incoming term " + entries.get(firstNew).term() + ")");
            }
            append(firstNew == 0 ? entries : entries.subList(firstNew, entries.size()));
        }
        return lastNew;
    }

    /** Position in {@code entries} of the first entry this log lacks or holds with another term; -1 if none. */
    private int firstConflict(List<Entry> entries) {
        long last = lastIndex();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.index() > last || term(e.index()) != e.term()) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The largest index at or below {@code index} whose term is at most {@code term} (the first index before
     * the log if there is none). Used on both sides of fast backtracking: every entry above the result has a
     * term greater than {@code term} and so cannot match.
     */
    public long findConflictByTerm(long index, long term) {
        long i = Math.min(index, lastIndex());
        long floor = firstIndex() - 1;
        while (i > floor) {
            long t = term(i);
            if (t <= term) {
                return i;
            }
            i--;
        }
        return floor;
    }

    /** Appends entries (leader proposal or follower copy), replacing any unstable suffix they overlap. */
    public void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        if (first <= committed) {
            throw new RaftInvariantViolation(
                    "append at index " + first + " would replace committed entries up to " + committed);
        }
        long last = lastIndex();
        if (first > last + 1) {
            throw new RaftInvariantViolation("append at index " + first + " leaves a gap after " + last);
        }
        if (first == last + 1) {
            // Common case: the log just grows.
        } else if (first <= unstableOffset) {
            // Replaces persisted entries too: the runtime will truncate them when it writes this batch.
            unstable.clear();
            unstableOffset = first;
        } else {
            int keep = (int) (first - unstableOffset);
            unstable.subList(keep, unstable.size()).clear();
        }
        unstable.addAll(entries);
    }

    /** Advances the commit index (never backwards). */
    public void commitTo(long index) {
        if (index <= committed) {
            return;
        }
        if (index > lastIndex()) {
            throw new RaftInvariantViolation(
                    "commit index " + index + " is beyond the last log index " + lastIndex());
        }
        committed = index;
    }

    /** Entries from {@code from} to the end of the log, at most {@code maxBytes} (but at least one entry). */
    public List<Entry> entriesFrom(long from, long maxBytes) {
        return slice(from, lastIndex(), maxBytes);
    }

    @Override
    public List<Entry> entries(long from, long toInclusive) {
        long lo = Math.max(from, firstIndex());
        long hi = Math.min(toInclusive, lastIndex());
        return lo > hi ? List.of() : slice(lo, hi, Long.MAX_VALUE);
    }

    private List<Entry> slice(long from, long to, long maxBytes) {
        if (from > to) {
            return List.of();
        }
        if (from < firstIndex()) {
            throw new IndexOutOfBoundsException("entry " + from + " is compacted; the log starts at "
                    + firstIndex());
        }
        if (from >= unstableOffset) {
            return unstableSlice(from, to, maxBytes, true);
        }
        long storedTo = Math.min(to, unstableOffset - 1);
        List<Entry> stored = storage.entries(from, storedTo, maxBytes);
        if (to < unstableOffset || stored.size() < storedTo - from + 1) {
            return stored;
        }
        long used = 0;
        for (Entry e : stored) {
            used += e.sizeBytes();
        }
        List<Entry> more = unstableSlice(unstableOffset, to, maxBytes - used, false);
        if (more.isEmpty()) {
            return stored;
        }
        List<Entry> joined = new ArrayList<>(stored.size() + more.size());
        joined.addAll(stored);
        joined.addAll(more);
        return joined;
    }

    /**
     * Entries of the unstable part from {@code from} to {@code to} within {@code maxBytes}; with
     * {@code atLeastOne} the first entry is returned even if it alone exceeds the budget.
     */
    private List<Entry> unstableSlice(long from, long to, long maxBytes, boolean atLeastOne) {
        int start = (int) (from - unstableOffset);
        int end = (int) (to - unstableOffset) + 1;
        long bytes = 0;
        int i = start;
        while (i < end) {
            long size = unstable.get(i).sizeBytes();
            if (bytes + size > maxBytes && !(atLeastOne && i == start)) {
                break;
            }
            bytes += size;
            i++;
        }
        return copyOf(unstable.subList(start, i));
    }

    /** Entries not yet acknowledged as persisted (a copy). */
    public List<Entry> unstableEntries() {
        return copyOf(unstable);
    }

    /** An unmodifiable copy made with one array copy (List.copyOf of a sub-list makes two on JDK 17). */
    static List<Entry> copyOf(List<Entry> entries) {
        return java.util.Collections.unmodifiableList(java.util.Arrays.asList(entries.toArray(new Entry[0])));
    }

    /** True if some entries await persisting. */
    public boolean hasUnstable() {
        return !unstable.isEmpty();
    }

    /**
     * Marks entries up to ({@code index}, {@code term}) as persisted. Ignored if the log no longer holds that
     * entry with that term (it was replaced meanwhile; the replacement will be handed out again).
     */
    public void stableTo(long index, long term) {
        if (index < unstableOffset || term(index) != term) {
            return;
        }
        int count = (int) (index - unstableOffset + 1);
        if (count == unstable.size()) {
            unstable.clear();
        } else {
            unstable.subList(0, count).clear();
        }
        unstableOffset = index + 1;
    }

    /** True if committed and persisted entries wait to be handed out for applying. */
    public boolean hasEntriesToApply() {
        return Math.min(committed, persistedIndex()) > applying;
    }

    /** Committed, persisted entries not yet handed out, at most {@code maxBytes} (at least one). */
    public List<Entry> entriesToApply(long maxBytes) {
        long hi = Math.min(committed, persistedIndex());
        if (hi <= applying) {
            return List.of();
        }
        return storage.entries(applying + 1, hi, maxBytes);
    }

    /** Records that entries up to {@code index} were handed out for applying. */
    public void applyingTo(long index) {
        if (index < applying || index > committed) {
            throw new RaftInvariantViolation("applying cursor moved from " + applying + " to " + index
                    + " with commit index " + committed);
        }
        applying = index;
    }

    /** Records the runtime's report that entries up to {@code index} are applied. */
    public void appliedTo(long index) {
        if (index > applying) {
            throw new IllegalArgumentException("applied index " + index
                    + " is beyond the entries handed out for applying (" + applying + ")");
        }
        if (index > applied) {
            applied = index;
        }
    }
}
