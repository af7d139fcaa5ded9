package io.raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SnapshotPolicyTest {

    private final SnapshotPolicy policy = SnapshotPolicy.defaults().withThresholds(1_000, 1 << 20, 100);

    @Test
    void aSnapshotIsDueOnceEitherThresholdIsReached() {
        assertThat(policy.due(999, 1000, 0)).isFalse();
        assertThat(policy.due(1_000, 1000, 0)).isTrue();
        assertThat(policy.due(10, 1 << 20, 0)).isTrue();
    }

    @Test
    void notBeforeTheLogSinceThePreviousSnapshotIsHalfItsSize() {
        long previous = 100L << 20; // a 100 MiB state
        assertThat(policy.due(1_000_000, (50L << 20) - 1, previous)).as("thresholds passed, log too small").isFalse();
        assertThat(policy.due(1_000_000, 50L << 20, previous)).isTrue();
    }

    @Test
    void zeroThresholdsMeanNeverAutomatically() {
        SnapshotPolicy manual = policy.withThresholds(0, 0, 100);
        assertThat(manual.due(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, 0)).isFalse();
    }
}
