package io.raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PendingCommitsTest {

    @Test
    void eachCommittedEntryCountsTheTimeSinceItsBatchWasAppended() {
        PendingCommits p = new PendingCommits(4);
        RuntimeCounters c = new RuntimeCounters();
        p.appended(1, 10, 1_000);
        p.appended(11, 12, 2_000);
        p.committed(5, 3_000, c); // half of the first batch
        assertThat(c.committedAsLeader()).isEqualTo(5);
        assertThat(c.commitLatencyNanos()).isEqualTo(5 * 2_000);
        p.committed(12, 4_000, c); // the rest of the first batch and the whole second one
        assertThat(c.committedAsLeader()).isEqualTo(12);
        assertThat(c.commitLatencyNanos()).isEqualTo(5 * 2_000 + 5 * 3_000 + 2 * 2_000);
        p.committed(12, 5_000, c); // nothing new
        assertThat(c.committedAsLeader()).isEqualTo(12);
    }

    @Test
    void aFullRingSkipsBatchesInsteadOfGrowingAndAnOverwrittenLogForgetsThem() {
        PendingCommits p = new PendingCommits(2);
        RuntimeCounters c = new RuntimeCounters();
        p.appended(1, 1, 0);
        p.appended(2, 2, 0);
        p.appended(3, 3, 0); // not timed: the ring is full
        p.committed(3, 10, c);
        assertThat(c.committedAsLeader()).isEqualTo(2);
        p.appended(4, 6, 100);
        p.appended(5, 5, 200); // a new leader's log replaced 5..6: the older range is gone
        p.committed(6, 300, c);
        assertThat(c.committedAsLeader()).isEqualTo(3);
        assertThat(c.commitLatencyNanos()).isEqualTo(2 * 10 + 100);
    }
}
