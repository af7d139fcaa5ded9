package io.raftkv.storage.snapshot;

import io.raftkv.core.Configuration;
import io.raftkv.core.SnapshotMeta;

/**
 * A published snapshot: what it covers and how to verify its data file.
 *
 * @param index         last log index included
 * @param term          term of that entry
 * @param configuration cluster membership at that index
 * @param dataBytes     length of the state machine's data file
 * @param dataCrc       CRC32C of the data file
 */
public record StoredSnapshot(long index, long term, Configuration configuration, long dataBytes, long dataCrc) {

    /** What the snapshot covers, as the Raft core knows it. */
    public SnapshotMeta meta() {
        return new SnapshotMeta(index, term, configuration);
    }
}
