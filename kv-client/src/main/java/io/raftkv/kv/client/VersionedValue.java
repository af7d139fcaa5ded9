package io.raftkv.kv.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A value with its revision (the log index of the write that set it; revisions of later writes are higher).
 *
 * @param value    the bytes (the record does not copy them: treat as read-only)
 * @param revision the revision
 */
public record VersionedValue(byte[] value, long revision) {

    /** The value decoded as UTF-8. */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    // Arrays compare by content here: two reads of the same version are equal.
    @Override
    public boolean equals(Object o) {
        return o instanceof VersionedValue v && revision == v.revision && Arrays.equals(value, v.value);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(value) + Long.hashCode(revision);
    }

    @Override
    public String toString() {
        return "VersionedValue[" + value.length + " bytes, revision " + revision + "]";
    }
}
