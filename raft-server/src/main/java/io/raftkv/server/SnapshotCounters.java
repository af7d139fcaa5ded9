package io.raftkv.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts of what a server did with snapshots since it started: for status pages, metrics and tests. Each counter
 * only grows.
 */
public final class SnapshotCounters {

    final AtomicLong taken = new AtomicLong();
    final AtomicLong installed = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong sendFailures = new AtomicLong();
    final AtomicLong chunksReceived = new AtomicLong();
    final AtomicLong chunksRefused = new AtomicLong();
    final AtomicLong transfersResumed = new AtomicLong();

    /** Snapshots of this node's own state written (each followed by a log compaction). */
    public long taken() {
        return taken.get();
    }

    /** Snapshots received from a leader and installed, replacing the log. */
    public long installed() {
        return installed.get();
    }

    /** Snapshots sent to followers to completion. */
    public long sent() {
        return sent.get();
    }

    /** Transfers to followers that were given up (the leader starts another while the follower needs one). */
    public long sendFailures() {
        return sendFailures.get();
    }

    /** Chunks of snapshot data received with data (duplicates included). */
    public long chunksReceived() {
        return chunksReceived.get();
    }

    /** Chunks dropped on arrival because their checksum failed (each is sent again). */
    public long chunksRefused() {
        return chunksRefused.get();
    }

    /** Transfers offered anew that continued from data already received instead of starting over. */
    public long transfersResumed() {
        return transfersResumed.get();
    }
}
