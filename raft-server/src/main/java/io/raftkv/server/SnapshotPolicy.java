package io.raftkv.server;

import java.time.Duration;
import java.util.Objects;

/**
 * When a node snapshots its state machine and compacts its log, and how snapshots travel to followers.
 *
 * <p>Defaults: a snapshot after 100,000 entries or 256 MiB of entries since the previous one (whichever comes
 * first; etcd's default is 100,000 entries), but not before the log since the previous snapshot is half that
 * snapshot's size (see {@link #due}), keeping 10,000 entries of log before it so that a follower a few
 * seconds behind still catches up from the log; snapshot data sent in 1 MiB chunks, at most 4 unacknowledged.
 *
 * @param entriesThreshold  take a snapshot once this many entries were applied since the previous one
 *                          ({@code 0}: never automatically)
 * @param bytesThreshold    take a snapshot once this many bytes of entries were applied since the previous one
 *                          ({@code 0}: never automatically)
 * @param keepEntries       entries kept in the log before a snapshot's index when compacting
 * @param chunkBytes        size of one chunk of snapshot data on the wire
 * @param chunkWindow       chunks sent ahead of the receiver's acknowledgement
 * @param chunkAckTimeout   how long a sender waits for an acknowledgement before resending from the last
 *                          acknowledged offset
 * @param transferTimeout   how long a transfer may go without progress before it is given up (the leader then
 *                          starts another)
 */
public record SnapshotPolicy(long entriesThreshold, long bytesThreshold, long keepEntries, int chunkBytes,
                             int chunkWindow, Duration chunkAckTimeout, Duration transferTimeout) {

    /** Largest chunk accepted: it must fit a transport frame with room to spare. */
    public static final int MAX_CHUNK_BYTES = 8 << 20;

    public SnapshotPolicy {
        Objects.requireNonNull(chunkAckTimeout, "chunkAckTimeout");
        Objects.requireNonNull(transferTimeout, "transferTimeout");
        if (entriesThreshold < 0 || bytesThreshold < 0 || keepEntries < 0) {
            throw new IllegalArgumentException("snapshot thresholds and the kept entries must be >= 0");
        }
        if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("snapshot chunk size must be between 1 and " + MAX_CHUNK_BYTES
                    + " bytes, got " + chunkBytes);
        }
        if (chunkWindow < 1) {
            throw new IllegalArgumentException("snapshot chunk window must be >= 1, got " + chunkWindow);
        }
        if (chunkAckTimeout.isNegative() || chunkAckTimeout.isZero() || transferTimeout.compareTo(chunkAckTimeout) < 0) {
            throw new IllegalArgumentException("snapshot timeouts must be positive, the transfer timeout at least the "
                    + "acknowledgement timeout");
        }
    }

    /** The defaults described above. */
    public static SnapshotPolicy defaults() {
        return new SnapshotPolicy(100_000, 256L << 20, 10_000, 1 << 20, 4, Duration.ofSeconds(2),
                Duration.ofSeconds(30));
    }

    /** The same policy with other thresholds and margin. */
    public SnapshotPolicy withThresholds(long entries, long bytes, long keep) {
        return new SnapshotPolicy(entries, bytes, keep, chunkBytes, chunkWindow, chunkAckTimeout, transferTimeout);
    }

    /** The same policy with another chunk size. */
    public SnapshotPolicy withChunkBytes(int bytes) {
        return new SnapshotPolicy(entriesThreshold, bytesThreshold, keepEntries, bytes, chunkWindow, chunkAckTimeout,
                transferTimeout);
    }

    /**
     * True if a snapshot is due after {@code entries} entries of {@code bytes} bytes since the previous one, whose
     * data took {@code previousSnapshotBytes}: a threshold is reached, and the log since that snapshot is at least
     * half its size. The second condition keeps the cost of snapshots proportional to the writes: without it, a
     * large state under large writes (650 MB of state, 64 KiB values) was snapshotted back to back, every 256 MiB
     * of log, by every node at once, saturating the disk and CPU until elections followed. With it, a snapshot
     * writes at most twice the log bytes it lets go, and the log stays under half the state plus the thresholds.
     */
    boolean due(long entries, long bytes, long previousSnapshotBytes) {
        boolean threshold = (entriesThreshold > 0 && entries >= entriesThreshold)
                || (bytesThreshold > 0 && bytes >= bytesThreshold);
        return threshold && bytes >= previousSnapshotBytes / 2;
    }
}
