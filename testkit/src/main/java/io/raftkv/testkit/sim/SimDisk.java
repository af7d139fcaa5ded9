package io.raftkv.testkit.sim;

import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.Ready;
import io.raftkv.core.log.LogStorage;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A simulated node's disk: what survives a crash. The simulator writes to it when a Ready's sync completes;
 * a crash during a sync keeps only part of that sync.
 */
interface SimDisk {

    /** What the core reads at start and while running. */
    LogStorage storage();

    /** Makes {@code state} durable. */
    void writeHardState(HardState state);

    /** Makes {@code entries} durable, replacing every entry from {@code first} on. */
    void writeEntries(long first, List<Entry> entries);

    /**
     * A crash hits while {@code syncing} (may be null) is being written: keep whatever part of it the disk
     * might hold, tell {@code checker} what is now durable, and drop everything volatile.
     */
    void crash(Ready syncing, SplittableRandom random, DurableWriteListener checker);

    /** Brings the disk back after a crash (re-running recovery where there is any). */
    void restart();

    /** True if this disk keeps snapshots (the simulator then takes and sends them). */
    default boolean keepsSnapshots() {
        return false;
    }

    /** The latest snapshot, or null. */
    default SimSnapshot latestSnapshot() {
        return null;
    }

    /** Stores a snapshot of this node's own state and compacts the log up to {@code keepEntries} before it. */
    default void takeSnapshot(SimSnapshot snapshot, long keepEntries) {
        throw new UnsupportedOperationException("this disk keeps no snapshots");
    }

    /** Stores a snapshot received from the leader; it replaces the log (keeping a matching suffix). */
    default void installSnapshot(SimSnapshot snapshot) {
        throw new UnsupportedOperationException("this disk keeps no snapshots");
    }

    /** Receives what became durable, before it is written. */
    interface DurableWriteListener {
        void onDurableWrite(LogStorage disk, long truncateFrom, List<Entry> written);
    }
}
