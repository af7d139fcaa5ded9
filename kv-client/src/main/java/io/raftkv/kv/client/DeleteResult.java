package io.raftkv.kv.client;

/**
 * The outcome of a delete.
 *
 * @param deleted  whether the key existed
 * @param revision the log index of the delete
 */
public record DeleteResult(boolean deleted, long revision) {
}
