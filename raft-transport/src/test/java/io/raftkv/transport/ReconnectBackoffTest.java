package io.raftkv.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

    private static final Duration MIN = Duration.ofMillis(50);
    private static final Duration MAX = Duration.ofSeconds(2);

    @Test
    void firstRetryWaitsTheMinimum() {
        assertThat(new ReconnectBackoff(MIN, MAX, new Random(1)).delay(0)).isEqualTo(MIN);
    }

    @Test
    void delaysGrowExponentiallyWithinJitterBoundsUpToTheCap() {
        ReconnectBackoff backoff = new ReconnectBackoff(MIN, MAX, new Random(3));
        for (int attempt = 0; attempt < 100; attempt++) {
            long nominal = Math.min(MAX.toMillis(), MIN.toMillis() << Math.min(attempt, 20));
            Duration d = backoff.delay(attempt);
            assertThat(d.toMillis()).as("attempt %d", attempt)
                    .isBetween(Math.max(MIN.toMillis(), nominal / 2), nominal);
        }
        assertThat(backoff.delay(Integer.MAX_VALUE)).isLessThanOrEqualTo(MAX).isGreaterThanOrEqualTo(MAX.dividedBy(2));
    }

    @Test
    void jitterIsReproducibleFromTheSeedAndActuallyVaries() {
        List<Duration> first = delays(new ReconnectBackoff(MIN, MAX, new Random(99)));
        List<Duration> second = delays(new ReconnectBackoff(MIN, MAX, new Random(99)));
        assertThat(first).isEqualTo(second);
        assertThat(first.subList(10, 30)).doesNotHaveDuplicates();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ZERO, MAX, new Random()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectBackoff(MAX, MIN, new Random()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static List<Duration> delays(ReconnectBackoff backoff) {
        List<Duration> out = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            out.add(backoff.delay(i));
        }
        return out;
    }
}
