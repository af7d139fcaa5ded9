package io.raftkv.core;

import java.util.Objects;

/**
 * What a snapshot covers: the state after applying every entry up to {@code index}, whose term is
 * {@code term}, and the membership in force at that index. The core knows snapshots only by this description;
 * their data belongs to the runtime, which stores, sends and restores it.
 *
 * @param index         the last log index the snapshot includes (0: no snapshot)
 * @param term          the term of that entry
 * @param configuration the membership at that index
 */
public record SnapshotMeta(long index, long term, Configuration configuration) {

    public SnapshotMeta {
        Objects.requireNonNull(configuration, "configuration");
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("snapshot index and term must be >= 0, got " + index + "/" + term);
        }
    }

    /** "No snapshot": the log starts at index 1. */
    public static SnapshotMeta none(Configuration configuration) {
        return new SnapshotMeta(0, 0, configuration);
    }
}
