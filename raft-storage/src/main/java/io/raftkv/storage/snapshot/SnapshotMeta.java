package io.raftkv.storage.snapshot;

import io.raftkv.core.Configuration;

/**
 * What a snapshot covers and how to verify it.
 *
 * @param index         last log index included
 * @param term          term of that entry
 * @param configuration cluster membership at that index
 * @param dataBytes     length of the state machine's data file
 * @param dataCrc       CRC32C of the data file
 */
public record SnapshotMeta(long index, long term, Configuration configuration, long dataBytes, long dataCrc) {
}
