package io.raftkv.storage.crash;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a log holds, as far as the crash test cares: its last index and the term of every entry (the payload
 * follows from (index, term), see {@link CrashPayload}). Stored as runs of equal terms, because the writes
 * produce long runs, so copying and comparing stays cheap even for tens of thousands of entries. Always
 * starts at index 1 (the crash test takes no snapshots).
 */
final class LogModel {

    /** First index of each run of equal terms, mapped to that term. */
    private final TreeMap<Long, Long> runs;
    private long lastIndex;

    LogModel() {
        this(new TreeMap<>(), 0);
    }

    private LogModel(TreeMap<Long, Long> runs, long lastIndex) {
        this.runs = runs;
        this.lastIndex = lastIndex;
    }

    LogModel copy() {
        return new LogModel(new TreeMap<>(runs), lastIndex);
    }

    long lastIndex() {
        return lastIndex;
    }

    /** Term of entry {@code index}, 0 for index 0. */
    long term(long index) {
        if (index == 0) {
            return 0;
        }
        if (index < 1 || index > lastIndex) {
            throw new IndexOutOfBoundsException(index + " is not in 1.." + lastIndex);
        }
        return runs.floorEntry(index).getValue();
    }

    /** Replaces every entry from {@code from} on with {@code count} entries of {@code term}, as a write does. */
    void apply(long from, long count, long term) {
        if (from < 1 || from > lastIndex + 1 || count < 1) {
            throw new IllegalArgumentException("write " + from + "+" + count + " does not fit a log 1.." + lastIndex);
        }
        runs.tailMap(from, true).clear();
        Map.Entry<Long, Long> before = runs.floorEntry(from - 1);
        if (before == null || before.getValue() != term) {
            runs.put(from, term);
        }
        lastIndex = from + count - 1;
    }

    /** True if this log equals the first {@link #lastIndex()} entries of {@code other}. */
    boolean isPrefixOf(LogModel other) {
        if (lastIndex > other.lastIndex) {
            return false;
        }
        // Both are step functions of the index; they agree everywhere iff they agree at every step of either.
        TreeSet<Long> steps = new TreeSet<>(runs.headMap(lastIndex, true).keySet());
        steps.addAll(other.runs.headMap(lastIndex, true).keySet());
        for (long i : steps) {
            if (term(i) != other.term(i)) {
                return false;
            }
        }
        return true;
    }

    boolean sameAs(LogModel other) {
        return lastIndex == other.lastIndex && isPrefixOf(other);
    }

    /** Runs as {@code first..last@term}, only the last few if there are many. */
    @Override
    public String toString() {
        if (lastIndex == 0) {
            return "[empty]";
        }
        StringBuilder sb = new StringBuilder("[");
        int skip = Math.max(0, runs.size() - 6);
        if (skip > 0) {
            sb.append("(").append(skip).append(" earlier runs) ");
        }
        int n = 0;
        for (Map.Entry<Long, Long> run : runs.entrySet()) {
            if (n++ < skip) {
                continue;
            }
            Long nextStart = runs.higherKey(run.getKey());
            long end = nextStart == null ? lastIndex : nextStart - 1;
            sb.append(run.getKey()).append("..").append(end).append("@").append(run.getValue()).append(' ');
        }
        sb.setLength(sb.length() - 1);
        return sb.append("]").toString();
    }
}
