package io.raftkv.server;

/**
 * The leader's appended but not yet committed index ranges, each with the time of the loop turn that appended
 * it, so that the commit latency counter costs one entry per batch rather than per log entry. A bounded ring
 * (loop thread only): when it is full, a new batch is simply not timed, which keeps the memory fixed under any
 * load at the price of an unbiased sample instead of every batch.
 */
final class PendingCommits {

    private final long[] first;
    private final long[] last;
    private final long[] appendedAt;
    private int head;
    private int size;

    PendingCommits(int capacity) {
        first = new long[capacity];
        last = new long[capacity];
        appendedAt = new long[capacity];
    }

    /** Entries {@code from..to} were appended by the leader in a turn that began at {@code nanos}. */
    void appended(long from, long to, long nanos) {
        if (size > 0) {
            int newest = (head + size - 1) % first.length;
            if (from <= last[newest]) {
                clear(); // the log was overwritten (a new term): the older ranges no longer describe it
            }
        }
        if (size == first.length) {
            return;
        }
        int slot = (head + size) % first.length;
        first[slot] = from;
        last[slot] = to;
        appendedAt[slot] = nanos;
        size++;
    }

    /** Everything up to {@code commitIndex} is committed as of {@code nanos}: counts it into {@code counters}. */
    void committed(long commitIndex, long nanos, RuntimeCounters counters) {
        long entries = 0;
        long latency = 0;
        while (size > 0 && first[head] <= commitIndex) {
            long upTo = Math.min(last[head], commitIndex);
            long n = upTo - first[head] + 1;
            entries += n;
            latency += n * (nanos - appendedAt[head]);
            if (upTo == last[head]) {
                head = (head + 1) % first.length;
                size--;
            } else {
                first[head] = upTo + 1;
            }
        }
        if (entries > 0) {
            counters.committedAsLeader.addAndGet(entries);
            counters.commitLatencyNanos.addAndGet(latency);
        }
    }

    /** Forgets every range (leadership lost: what this node appended may never commit under its watch). */
    void clear() {
        head = 0;
        size = 0;
    }
}
