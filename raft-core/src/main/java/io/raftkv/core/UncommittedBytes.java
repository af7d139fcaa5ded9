package io.raftkv.core;

/**
 * The leader's count of proposed bytes not yet committed, kept per proposal batch so that commitment
 * releases budget without re-reading entries. Bounded by the number of uncommitted batches, which the byte
 * limit itself bounds.
 */
final class UncommittedBytes {

    private long[] lastIndex = new long[64];
    private long[] size = new long[64];
    private int head;
    private int count;
    private long total;

    /** Bytes proposed and not yet committed. */
    long total() {
        return total;
    }

    /** Records a batch ending at {@code index}. */
    void add(long index, long bytes) {
        if (count == lastIndex.length) {
            grow();
        }
        int slot = (head + count) % lastIndex.length;
        lastIndex[slot] = index;
        size[slot] = bytes;
        count++;
        total += bytes;
    }

    /** Releases every batch ending at or before {@code committed}. */
    void committedTo(long committed) {
        while (count > 0 && lastIndex[head] <= committed) {
            total -= size[head];
            head = (head + 1) % lastIndex.length;
            count--;
        }
    }

    /** Forgets everything (on losing or gaining leadership). */
    void reset() {
        head = 0;
        count = 0;
        total = 0;
    }

    private void grow() {
        long[] li = new long[lastIndex.length * 2];
        long[] sz = new long[size.length * 2];
        for (int i = 0; i < count; i++) {
            li[i] = lastIndex[(head + i) % lastIndex.length];
            sz[i] = size[(head + i) % size.length];
        }
        lastIndex = li;
        size = sz;
        head = 0;
    }
}
