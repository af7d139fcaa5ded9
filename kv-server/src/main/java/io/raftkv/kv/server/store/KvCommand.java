package io.raftkv.kv.server.store;

/**
 * One replicated write: the operation, the session tag (or null for an untagged write) and the proposing
 * leader's clock reading, which makes session expiry a deterministic function of the log.
 */
public record KvCommand(ClientSession session, long timestampMillis, KvOperation operation) {
}
