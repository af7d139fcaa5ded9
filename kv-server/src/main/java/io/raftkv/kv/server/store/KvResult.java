package io.raftkv.kv.server.store;

/** The outcome of applying a {@link KvCommand}. */
public sealed interface KvResult permits KvResult.Written, KvResult.Deleted, KvResult.Swapped, KvResult.Rejected {

    /** A put: the key's new revision (the command's log index). */
    record Written(long revision) implements KvResult {
    }

    /** A delete: whether the key existed; {@code revision} is the command's log index. */
    record Deleted(boolean existed, long revision) implements KvResult {
    }

    /**
     * A compare-and-set: whether it matched; {@code revision} is the key's revision after the command (the new
     * one on success, the unchanged one, or 0 if absent, on failure).
     */
    record Swapped(boolean succeeded, long revision) implements KvResult {
    }

    /** Not applied, with a reason (for example a session sequence older than the last one applied). */
    record Rejected(String reason) implements KvResult {
    }
}
