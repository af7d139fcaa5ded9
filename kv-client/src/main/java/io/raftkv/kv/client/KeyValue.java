package io.raftkv.kv.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One item of a {@link ScanPage}.
 *
 * @param key      the key (not copied: treat as read-only)
 * @param value    the value (not copied: treat as read-only)
 * @param revision the revision of the write that set it
 */
public record KeyValue(byte[] key, byte[] value, long revision) {

    /** The key decoded as UTF-8. */
    public String keyAsString() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** The value decoded as UTF-8. */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    // Arrays compare by content here.
    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue kv && revision == kv.revision && Arrays.equals(key, kv.key)
                && Arrays.equals(value, kv.value);
    }

    @Override
    public int hashCode() {
        return (31 * Arrays.hashCode(key) + Arrays.hashCode(value)) * 31 + Long.hashCode(revision);
    }

    @Override
    public String toString() {
        return "KeyValue[" + keyAsString() + " = " + value.length + " bytes, revision " + revision + "]";
    }
}
