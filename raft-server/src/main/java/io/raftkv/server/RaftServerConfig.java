package io.raftkv.server;

import io.raftkv.core.RaftConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the runtime.
 *
 * <p>Timing defaults: a tick of 100 ms with the core's default of 10 election ticks and 1 heartbeat tick
 * gives heartbeats every 100 ms and election timeouts of 1 to 2 s. That is deliberately slower than
 * etcd's 100 ms / 1 s default: on a loaded 2-core machine (servers and load generator sharing the CPU, GC,
 * fsync stalls) a shorter timeout causes spurious elections, which cost far more than a slower failover.
 *
 * @param raft          the core's settings
 * @param tick          length of one logical tick
 * @param maxQueued     most inputs (messages, proposals, reads) waiting for the loop; beyond it messages are
 *                      dropped and requests refused as overloaded
 * @param maxApplyQueue most committed batches waiting for the apply thread before the loop stops handing out more
 * @param snapshots     when to snapshot and compact, and how snapshots are sent
 * @param maxQueuedProposalBytes most command bytes proposed here and not yet taken up by the loop; beyond it
 *                      proposals are refused as overloaded at once (a count of inputs alone does not bound memory
 *                      when commands are large: 100,000 queued 64 KiB writes would be 6.5 GB)
 * @param maxApplyQueueBytes most entry bytes committed and waiting for the apply thread; beyond it proposals are
 *                      refused as overloaded (and the loop waits up to one tick per turn for the apply thread), so
 *                      a slow state machine cannot fill the heap
 */
public record RaftServerConfig(RaftConfig raft, Duration tick, int maxQueued, int maxApplyQueue,
                               SnapshotPolicy snapshots, long maxQueuedProposalBytes, long maxApplyQueueBytes) {

    /** Default of {@link #maxQueuedProposalBytes()}: 32 MiB. */
    public static final long DEFAULT_MAX_QUEUED_PROPOSAL_BYTES = 32L << 20;
    /** Default of {@link #maxApplyQueueBytes()}: 64 MiB. */
    public static final long DEFAULT_MAX_APPLY_QUEUE_BYTES = 64L << 20;

    public RaftServerConfig {
        Objects.requireNonNull(raft, "raft");
        Objects.requireNonNull(snapshots, "snapshots");
        if (tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("tick must be positive, got " + tick);
        }
        if (maxQueued < 1 || maxApplyQueue < 1 || maxQueuedProposalBytes < 1 || maxApplyQueueBytes < 1) {
            throw new IllegalArgumentException("queue limits must be >= 1");
        }
    }

    /** Defaults around the given core settings. */
    public static RaftServerConfig of(RaftConfig raft) {
        return new RaftServerConfig(raft, Duration.ofMillis(100), 100_000, 1024, SnapshotPolicy.defaults(),
                DEFAULT_MAX_QUEUED_PROPOSAL_BYTES, DEFAULT_MAX_APPLY_QUEUE_BYTES);
    }

    /** The same settings with another tick length (tests use short ticks). */
    public RaftServerConfig withTick(Duration t) {
        return new RaftServerConfig(raft, t, maxQueued, maxApplyQueue, snapshots, maxQueuedProposalBytes,
                maxApplyQueueBytes);
    }

    /** The same settings with another snapshot policy. */
    public RaftServerConfig withSnapshots(SnapshotPolicy policy) {
        return new RaftServerConfig(raft, tick, maxQueued, maxApplyQueue, policy, maxQueuedProposalBytes,
                maxApplyQueueBytes);
    }

    /** The same settings with other byte bounds on queued proposals and on committed entries awaiting apply. */
    public RaftServerConfig withQueueBytes(long proposalBytes, long applyBytes) {
        return new RaftServerConfig(raft, tick, maxQueued, maxApplyQueue, snapshots, proposalBytes, applyBytes);
    }
}
