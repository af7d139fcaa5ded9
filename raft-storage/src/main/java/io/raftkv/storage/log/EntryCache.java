package io.raftkv.storage.log;

import io.raftkv.core.Entry;
import java.util.ArrayList;
import java.util.List;

/**
 * The most recent entries of the log, up to a byte budget, so that followers that keep up (and the apply
 * stage) are served from memory. Holds a contiguous range ending at the log's last index.
 */
final class EntryCache {

    private final long maxBytes;
    private Entry[] ring = new Entry[1024];
    private int head;
    private int count;
    private long bytes;

    EntryCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** First cached index, or -1 if empty. */
    long firstIndex() {
        return count == 0 ? -1 : ring[head].index();
    }

    /** Adds entries continuing the cached range (or starting a new one), evicting the oldest beyond the budget. */
    void append(List<Entry> entries) {
        for (Entry e : entries) {
            if (count > 0 && e.index() != ring[(head + count - 1) % ring.length].index() + 1) {
                clear();
            }
            if (count == ring.length) {
                grow();
            }
            ring[(head + count) % ring.length] = e;
            count++;
            bytes += e.sizeBytes();
        }
        while (count > 1 && bytes > maxBytes) {
            bytes -= ring[head].sizeBytes();
            ring[head] = null;
            head = (head + 1) % ring.length;
            count--;
        }
    }

    /** Drops every cached entry at or after {@code index}. */
    void truncateFrom(long index) {
        while (count > 0 && ring[(head + count - 1) % ring.length].index() >= index) {
            int slot = (head + count - 1) % ring.length;
            bytes -= ring[slot].sizeBytes();
            ring[slot] = null;
            count--;
        }
    }

    /** Drops every cached entry at or before {@code index}. */
    void removeThrough(long index) {
        while (count > 0 && ring[head].index() <= index) {
            bytes -= ring[head].sizeBytes();
            ring[head] = null;
            head = (head + 1) % ring.length;
            count--;
        }
    }

    void clear() {
        java.util.Arrays.fill(ring, null);
        head = 0;
        count = 0;
        bytes = 0;
    }

    /**
     * Cached entries from {@code from} to at most {@code to}, within {@code maxBytes} but at least one; the
     * caller checks that {@code from} is cached.
     */
    List<Entry> get(long from, long to, long maxBytes) {
        long first = firstIndex();
        int start = (int) (from - first);
        int end = (int) Math.min(to - first, count - 1);
        List<Entry> out = new ArrayList<>(Math.max(0, end - start + 1));
        long total = 0;
        for (int i = start; i <= end; i++) {
            Entry e = ring[(head + i) % ring.length];
            if (i > start && total + e.sizeBytes() > maxBytes) {
                break;
            }
            total += e.sizeBytes();
            out.add(e);
        }
        return out;
    }

    private void grow() {
        Entry[] bigger = new Entry[ring.length * 2];
        for (int i = 0; i < count; i++) {
            bigger[i] = ring[(head + i) % ring.length];
        }
        ring = bigger;
        head = 0;
    }
}
