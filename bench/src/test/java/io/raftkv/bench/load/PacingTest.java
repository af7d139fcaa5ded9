package io.raftkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PacingTest {

    private static final long MS = 1_000_000;

    @Test
    void openLoopSpacesIntendedStartsByTheRateWhateverTheClock() {
        Pacing p = new Pacing.OpenLoop(5 * MS, 1000);
        assertThat(p.intendedStart(0, 0)).isEqualTo(5 * MS);
        assertThat(p.intendedStart(1, 123 * MS)).isEqualTo(6 * MS);
        assertThat(p.intendedStart(1000, 0)).isEqualTo(1005 * MS);
    }

    @Test
    void openLoopCountsLatencyFromTheIntendedStartNotFromTheLateSend() {
        // 1,000/s from t=0: operation 5 should start at 5 ms. Every client was busy until 7 ms, so it was sent
        // then and completed at 8 ms. It waited 2 ms for a client and was served in 1: its latency is 3 ms.
        Pacing p = new Pacing.OpenLoop(0, 1000);
        long intended = p.intendedStart(5, 7 * MS);
        assertThat(p.latency(intended, 8 * MS)).isEqualTo(3 * MS);
    }

    @Test
    void aStallShowsInEveryOperationScheduledDuringIt() {
        // 100/s; the system stalls from 0 to 1 s, then answers everything at once at 1 s. A closed loop would
        // record one slow operation per client; the open loop records all 100 that were due, from 1 s down to 10 ms.
        Pacing p = new Pacing.OpenLoop(0, 100);
        long total = 0;
        for (int n = 0; n < 100; n++) {
            total += p.latency(p.intendedStart(n, 0), 1000 * MS);
        }
        assertThat(total / 100).isEqualTo(505 * MS);
    }

    @Test
    void closedLoopStartsWhenSentAndCountsFromThere() {
        Pacing p = new Pacing.ClosedLoop();
        long intended = p.intendedStart(42, 7 * MS);
        assertThat(intended).isEqualTo(7 * MS);
        assertThat(p.latency(intended, 8 * MS)).isEqualTo(MS);
    }

    @Test
    void theLoadShapeChoosesThePacing() {
        assertThat(Pacing.of(new LoadShape(4, 0, 0, Duration.ZERO, Duration.ofSeconds(1), 0), 0))
                .isInstanceOf(Pacing.ClosedLoop.class);
        assertThat(Pacing.of(new LoadShape(4, 0, 500, Duration.ZERO, Duration.ofSeconds(1), 0), 9))
                .isEqualTo(new Pacing.OpenLoop(9, 500));
    }

    @Test
    void anOpenLoopNeedsAPositiveRate() {
        assertThatThrownBy(() -> new Pacing.OpenLoop(0, 0)).hasMessageContaining("positive rate");
    }
}
