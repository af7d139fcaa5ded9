package io.raftkv.kv.server.store;

/** A write to the key-value store, as replicated through the log. Keys and values are opaque bytes. */
public sealed interface KvOperation permits KvOperation.Put, KvOperation.Delete, KvOperation.CompareAndSet {

    /** The key written. */
    byte[] key();

    /** Sets {@code key} to {@code value}. */
    record Put(byte[] key, byte[] value) implements KvOperation {
    }

    /** Removes {@code key}. */
    record Delete(byte[] key) implements KvOperation {
    }

    /** Sets {@code key} to {@code value} only if its current value is {@code expected} ({@code null}: absent). */
    record CompareAndSet(byte[] key, byte[] expected, byte[] value) implements KvOperation {
    }
}
