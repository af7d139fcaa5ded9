package io.raftkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.bench.load.MeasurementWindow.Phase;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MeasurementWindowTest {

    @Test
    void operationsAreWarmupThenMeasuredThenNoneByTheirIntendedStart() {
        MeasurementWindow w = MeasurementWindow.of(new LoadShape(1, 0, 0, Duration.ofNanos(100),
                Duration.ofNanos(50), 0), 1_000);
        assertThat(w.claim(1_000)).isEqualTo(Phase.WARMUP);
        assertThat(w.claim(1_099)).isEqualTo(Phase.WARMUP);
        assertThat(w.claim(1_100)).isEqualTo(Phase.MEASURED);
        assertThat(w.claim(1_149)).isEqualTo(Phase.MEASURED);
        assertThat(w.claim(1_150)).isEqualTo(Phase.DONE);
    }

    @Test
    void countingOperationsMeasuresExactlyThatMany() {
        MeasurementWindow w = MeasurementWindow.of(new LoadShape(1, 0, 0, Duration.ZERO, Duration.ZERO, 3), 0);
        assertThat(w.claim(10)).isEqualTo(Phase.MEASURED);
        assertThat(w.claim(Long.MAX_VALUE / 2)).isEqualTo(Phase.MEASURED);
        assertThat(w.claim(20)).isEqualTo(Phase.MEASURED);
        assertThat(w.claim(30)).isEqualTo(Phase.DONE);
        assertThat(w.claim(40)).isEqualTo(Phase.DONE);
    }

    @Test
    void aClosedWindowStartsNothingMore() {
        MeasurementWindow w = new MeasurementWindow(0, Long.MAX_VALUE, Long.MAX_VALUE);
        assertThat(w.claim(5)).isEqualTo(Phase.MEASURED);
        w.close();
        assertThat(w.claim(6)).isEqualTo(Phase.DONE);
    }
}
