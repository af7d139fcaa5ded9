package io.raftkv.kv.client;

import java.util.Arrays;
import java.util.List;

/**
 * One page of a scan, in key order (unsigned byte order).
 *
 * @param items the keys found, at most the limit asked for
 * @param more  true when keys beyond the last item remain in the range
 */
public record ScanPage(List<KeyValue> items, boolean more) {

    public ScanPage {
        items = List.copyOf(items);
    }

    /**
     * Where the next page starts: the smallest key above the last item (the last key plus a zero byte), or null
     * when there is no next page.
     */
    public byte[] nextStart() {
        if (!more || items.isEmpty()) {
            return null;
        }
        byte[] last = items.get(items.size() - 1).key();
        return Arrays.copyOf(last, last.length + 1);
    }
}
