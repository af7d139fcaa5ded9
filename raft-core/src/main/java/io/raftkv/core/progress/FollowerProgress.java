package io.raftkv.core.progress;

import io.raftkv.core.NodeId;

/**
 * The leader's knowledge of one follower's log: {@code match} (known equal up to here) and {@code next}
 * (the next entry to send), the replication state, the in-flight window, and whether the follower has been
 * heard from recently (for check-quorum).
 */
public final class FollowerProgress {

    private final NodeId id;
    private final InflightWindow inflight;
    private ReplicationState state = ReplicationState.PROBE;
    private long match;
    private long next;
    /** In probe state: an append is outstanding, wait for its answer or the next heartbeat answer. */
    private boolean probeSent;
    /** Heard from since the last check-quorum round. */
    private boolean recentActive;
    /** Highest read-barrier round the follower acknowledged in the current term. */
    private long readRoundAcked;
    /** The next flush must send an append even if it carries no entries (commit update, or a probe). */
    private boolean appendWanted;
    /** In snapshot state: the index of the snapshot being sent. */
    private long pendingSnapshot;

    public FollowerProgress(NodeId id, long next, int maxInflight, long maxInflightBytes) {
        this.id = id;
        this.next = next;
        this.inflight = new InflightWindow(maxInflight, maxInflightBytes);
    }

    public NodeId id() {
        return id;
    }

    public ReplicationState state() {
        return state;
    }

    public long match() {
        return match;
    }

    public long next() {
        return next;
    }

    public InflightWindow inflight() {
        return inflight;
    }

    public boolean recentActive() {
        return recentActive;
    }

    public void setRecentActive(boolean active) {
        this.recentActive = active;
    }

    public long readRoundAcked() {
        return readRoundAcked;
    }

    /** Records a read-barrier acknowledgement; rounds only move forward. */
    public void ackReadRound(long round) {
        if (round > readRoundAcked) {
            readRoundAcked = round;
        }
    }

    public boolean appendWanted() {
        return appendWanted;
    }

    public void setAppendWanted(boolean wanted) {
        this.appendWanted = wanted;
    }

    /** In snapshot state: the index of the snapshot being sent (0 otherwise). */
    public long pendingSnapshot() {
        return pendingSnapshot;
    }

    /** True if nothing more may be sent now. */
    public boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflight.isFull();
            case SNAPSHOT -> true;
        };
    }

    /** Unpauses a probe (an answer or heartbeat answer arrived). */
    public void resumeProbe() {
        probeSent = false;
    }

    /**
     * Records an append of entries up to {@code lastIndex} carrying {@code bytes}: in replicate state the
     * window grows and {@code next} moves on optimistically; in probe state the follower is paused until answered.
     */
    public void sentAppend(long lastIndex, long bytes, boolean carriesEntries) {
        appendWanted = false;
        if (state == ReplicationState.REPLICATE) {
            if (carriesEntries) {
                next = lastIndex + 1;
                inflight.add(lastIndex, bytes);
            }
        } else {
            probeSent = true;
        }
    }

    /**
     * Applies a successful answer up to {@code index}. Returns true if the match index moved forward.
     */
    public boolean acknowledge(long index) {
        boolean advanced = false;
        if (index > match) {
            match = index;
            advanced = true;
            probeSent = false;
        }
        if (next < index + 1) {
            next = index + 1;
        }
        if (state == ReplicationState.REPLICATE) {
            inflight.freeTo(index);
        }
        return advanced;
    }

    /**
     * Applies a rejection of the append whose previous index was {@code rejected}, with the leader's next
     * guess {@code probeFrom} (the highest index that may still match). Returns false if the rejection is stale.
     */
    public boolean rejected(long rejected, long probeFrom) {
        if (state == ReplicationState.SNAPSHOT) {
            return false; // answers an append sent before the snapshot; the snapshot's outcome decides
        }
        if (state == ReplicationState.REPLICATE) {
            if (rejected <= match) {
                return false; // answers an append sent before the logs were known to match
            }
            becomeProbe();
            return true;
        }
        if (next - 1 != rejected) {
            return false; // answers an older probe
        }
        next = Math.max(Math.min(rejected, probeFrom + 1), match + 1);
        probeSent = false;
        return true;
    }

    /** Switches to probing from just after the match index. */
    public void becomeProbe() {
        state = ReplicationState.PROBE;
        pendingSnapshot = 0;
        next = match + 1;
        probeSent = false;
        inflight.reset();
    }

    /** Switches to sending the snapshot ending at {@code snapshotIndex}: nothing else is sent meanwhile. */
    public void becomeSnapshot(long snapshotIndex) {
        state = ReplicationState.SNAPSHOT;
        pendingSnapshot = snapshotIndex;
        appendWanted = false;
        inflight.reset();
    }

    /**
     * Ends snapshot state: probe from just after the snapshot if it was installed, else from just after the
     * match index. The probe waits for the next answer from the follower (a heartbeat's at the latest).
     */
    public void snapshotEnded(boolean installed) {
        long after = installed ? pendingSnapshot + 1 : 0;
        state = ReplicationState.PROBE;
        next = Math.max(match + 1, after);
        pendingSnapshot = 0;
        probeSent = !installed || match < next - 1;
        appendWanted = true;
        inflight.reset();
    }

    /** Switches to pipelined replication from just after the match index. */
    public void becomeReplicate() {
        state = ReplicationState.REPLICATE;
        pendingSnapshot = 0;
        next = match + 1;
        inflight.reset();
    }

    @Override
    public String toString() {
        return id + "{" + state + " match=" + match + " next=" + next + " inflight=" + inflight.count() + "}";
    }
}
