package io.raftkv.kv.client;

/**
 * A snapshot a node took on request.
 *
 * @param endpoint the node's client endpoint
 * @param index    the last log index the snapshot covers
 * @param term     that entry's term
 */
public record SnapshotTaken(String endpoint, long index, long term) {
}
