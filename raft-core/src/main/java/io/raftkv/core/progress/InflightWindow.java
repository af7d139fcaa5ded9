package io.raftkv.core.progress;

/**
 * The appends sent to one follower and not yet acknowledged, bounded both in count and in bytes. A full
 * window pauses replication to that follower, which is what keeps a slow follower from making the leader
 * buffer without limit.
 *
 * <p>Stored as a ring of (last index, bytes) pairs, oldest first; acknowledgements free a prefix.
 */
public final class InflightWindow {

    private final int capacity;
    private final long maxBytes;
    private final long[] lastIndex;
    private final long[] bytes;
    private int start;
    private int count;
    private long totalBytes;

    /**
     * @param capacity most appends in flight at once (at least 1)
     * @param maxBytes most bytes in flight at once; a single larger append is still allowed when the window is empty
     */
    public InflightWindow(int capacity, long maxBytes) {
        if (capacity < 1) {
            throw new IllegalArgumentException("in-flight capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.lastIndex = new long[capacity];
        this.bytes = new long[capacity];
    }

    /** Records an append whose last entry is {@code index}, carrying {@code size} bytes. */
    public void add(long index, long size) {
        if (isFull()) {
            throw new IllegalStateException("in-flight window is full (" + count + " appends, " + totalBytes
                    + " bytes)");
        }
        int slot = (start + count) % capacity;
        lastIndex[slot] = index;
        bytes[slot] = size;
        count++;
        totalBytes += size;
    }

    /** Frees every append whose last index is at most {@code index}. */
    public void freeTo(long index) {
        while (count > 0 && lastIndex[start] <= index) {
            totalBytes -= bytes[start];
            start = (start + 1) % capacity;
            count--;
        }
    }

    /** Frees the oldest append (its acknowledgement was probably lost). */
    public void freeFirst() {
        if (count > 0) {
            freeTo(lastIndex[start]);
        }
    }

    /** True if no further append may be sent. */
    public boolean isFull() {
        return count == capacity || (count > 0 && totalBytes >= maxBytes);
    }

    /** Appends in flight. */
    public int count() {
        return count;
    }

    /** Bytes in flight. */
    public long bytes() {
        return totalBytes;
    }

    /** Forgets everything in flight. */
    public void reset() {
        start = 0;
        count = 0;
        totalBytes = 0;
    }
}
