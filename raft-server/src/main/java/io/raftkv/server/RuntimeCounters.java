package io.raftkv.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts of what the runtime did since it started, for status pages, metrics and the load generator's server
 * view: how well the write path batches (entries per fsync, per append message, per loop turn, per apply batch),
 * how long commits take at the leader and how many reads share a ReadIndex round. Every counter only grows;
 * ratios come from the difference of two readings. Each counter is written by one thread (the loop or the apply
 * thread) once per batch, never per entry, so keeping them costs nothing measurable.
 */
public final class RuntimeCounters {

    final AtomicLong entriesPersisted = new AtomicLong();
    final AtomicLong fsyncs = new AtomicLong();
    final AtomicLong fsyncNanos = new AtomicLong();
    final AtomicLong hardStateWrites = new AtomicLong();
    final AtomicLong entriesSent = new AtomicLong();
    final AtomicLong appendsSent = new AtomicLong();
    final AtomicLong messagesSent = new AtomicLong();
    final AtomicLong commitLatencyNanos = new AtomicLong();
    final AtomicLong committedAsLeader = new AtomicLong();
    final AtomicLong proposals = new AtomicLong();
    final AtomicLong turns = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong readRounds = new AtomicLong();
    final AtomicLong appliedEntries = new AtomicLong();
    final AtomicLong applyBatches = new AtomicLong();

    /** Log entries made durable on this node (as leader or follower). */
    public long entriesPersisted() {
        return entriesPersisted.get();
    }

    /** Log fsyncs: one per loop turn that wrote entries, whatever their number. */
    public long fsyncs() {
        return fsyncs.get();
    }

    /** Time spent in log fsyncs, in nanoseconds. */
    public long fsyncNanos() {
        return fsyncNanos.get();
    }

    /** Writes of the term and vote (each durable on its own). */
    public long hardStateWrites() {
        return hardStateWrites.get();
    }

    /** Entries carried by AppendEntries messages this node sent (as leader). */
    public long entriesSent() {
        return entriesSent.get();
    }

    /** AppendEntries messages with at least one entry that this node sent. */
    public long appendsSent() {
        return appendsSent.get();
    }

    /** Raft messages of every kind this node handed to the transport. */
    public long messagesSent() {
        return messagesSent.get();
    }

    /**
     * Sum over the entries committed while this node led of the time from the loop turn that appended the entry
     * to the turn that saw it committed, in nanoseconds (divide by {@link #committedAsLeader()} for the mean).
     */
    public long commitLatencyNanos() {
        return commitLatencyNanos.get();
    }

    /** Entries whose commit this node saw as leader, after appending them itself. */
    public long committedAsLeader() {
        return committedAsLeader.get();
    }

    /** Entries this node appended as leader (client proposals, its own and forwarded ones, and no-ops). */
    public long proposals() {
        return proposals.get();
    }

    /** Loop turns that handled at least one Ready of the core. */
    public long turns() {
        return turns.get();
    }

    /** Read barriers confirmed by the core (ReadIndex or lease). */
    public long reads() {
        return reads.get();
    }

    /** Rounds that confirmed read barriers: each confirms every read that waited for it. */
    public long readRounds() {
        return readRounds.get();
    }

    /** Log entries applied to the state machine. */
    public long appliedEntries() {
        return appliedEntries.get();
    }

    /** Batches handed to the state machine (each applied as one write). */
    public long applyBatches() {
        return applyBatches.get();
    }

    /**
     * Every counter by group and name, as in {@code GET /v1/status}'s {@code metrics} (for example
     * {@code storage.fsyncs}); the names are part of the status API.
     */
    public Map<String, Map<String, Long>> byGroup() {
        Map<String, Map<String, Long>> m = new LinkedHashMap<>();
        m.put("storage", Map.of("entriesPersisted", entriesPersisted(), "fsyncs", fsyncs(),
                "fsyncNanos", fsyncNanos(), "hardStateWrites", hardStateWrites()));
        m.put("replication", Map.of("entriesSent", entriesSent(), "appendsSent", appendsSent(),
                "messagesSent", messagesSent()));
        m.put("commit", Map.of("latencyNanos", commitLatencyNanos(), "entries", committedAsLeader()));
        m.put("loop", Map.of("proposals", proposals(), "turns", turns()));
        m.put("read", Map.of("reads", reads(), "rounds", readRounds()));
        m.put("apply", Map.of("entries", appliedEntries(), "batches", applyBatches()));
        return m;
    }
}
