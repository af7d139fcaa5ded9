package io.raftkv.storage;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.log.LogStorage;
import io.raftkv.storage.snapshot.SnapshotStore;
import io.raftkv.storage.snapshot.SnapshotWriter;
import io.raftkv.storage.snapshot.StoredSnapshot;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Durable state a runtime can both read (as the core's {@link LogStorage}) and write as Readys instruct.
 * Implemented by {@link DurableStorage}; tests may use an in-memory implementation.
 */
public interface RaftStorage extends LogStorage, Closeable {

    /** Replaces the hard state, durably, before returning. */
    void writeHardState(HardState state) throws IOException;

    /** Appends entries, replacing held entries from the first one's index on; durable after {@link #sync()}. */
    void append(List<Entry> entries) throws IOException;

    /** Makes every append since the previous sync durable. */
    void sync() throws IOException;

    /** The latest published snapshot, if any. */
    Optional<StoredSnapshot> latestSnapshot();

    /** Starts writing a snapshot of the state machine at {@code index} (published by the writer). */
    SnapshotWriter beginSnapshot(long index, long term, Configuration configuration) throws IOException;

    /**
     * Records that {@code snapshot} (of this node's own applied state) is published, and removes log entries
     * up to {@code keepEntries} before its index (whole segments only).
     */
    void compactTo(StoredSnapshot snapshot, long keepEntries) throws IOException;

    /**
     * Like {@link #compactTo}, but the removed log files are deleted only when the returned task runs (on any
     * thread): deleting a gigabyte of segments takes long enough to hold up the thread that owns the log.
     */
    default Runnable compactDeferringDeletion(StoredSnapshot snapshot, long keepEntries) throws IOException {
        compactTo(snapshot, keepEntries);
        return () -> { };
    }

    /**
     * Records that {@code snapshot} (received from the leader, already published) replaces the log: a log that
     * holds the snapshot's last entry keeps what follows it; any other log is discarded.
     */
    void installSnapshot(StoredSnapshot snapshot) throws IOException;

    /** The published snapshots (for reading their data and receiving new ones). */
    SnapshotStore snapshots();
}
