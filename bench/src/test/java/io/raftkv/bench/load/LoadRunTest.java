package io.raftkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.bench.load.target.ReadConsistency;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Runs counted loads through fake connections: every assertion is on counts, none on timing. */
class LoadRunTest {

    private static final KeySpace KEYS = new KeySpace(KeySpace.Order.SEQUENTIAL, 100, 8);

    private static LoadShape counted(int clients, long operations) {
        return new LoadShape(clients, 0, 0, Duration.ZERO, Duration.ZERO, operations);
    }

    @Test
    void aCountedRunMeasuresExactlyThatManyOperationsAndCountsFailuresByKind() throws InterruptedException {
        FakeConnection c = new FakeConnection(10, null);
        RunOutcome r = new LoadRun(List.of(c), Workload.put(KEYS, 16), counted(4, 1_000), Duration.ofSeconds(5), 1)
                .run(ProgressListener.NONE);
        assertThat(r.puts()).isEqualTo(900);
        assertThat(r.gets()).isZero();
        assertThat(r.errors()).isEqualTo(Map.of("BOOM", 100L));
        assertThat(r.latency().count()).isEqualTo(900);
    }

    @Test
    void operationsCompletedOnAnotherThreadAreAllAccountedFor() throws InterruptedException {
        ExecutorService io = Executors.newFixedThreadPool(2);
        try {
            FakeConnection a = new FakeConnection(0, io);
            FakeConnection b = new FakeConnection(0, io);
            RunOutcome r = new LoadRun(List.of(a, b), Workload.put(KEYS, 16), counted(8, 2_000),
                    Duration.ofSeconds(5), 1).run(ProgressListener.NONE);
            assertThat(r.puts()).isEqualTo(2_000);
            assertThat(r.errors()).isEmpty();
            // Clients are spread round-robin over the connections, and every claimed operation is sent once.
            assertThat(a.puts.get()).isPositive();
            assertThat(b.puts.get()).isPositive();
            assertThat(a.puts.get() + b.puts.get()).isEqualTo(2_000);
        } finally {
            io.shutdownNow();
        }
    }

    @Test
    void aMixSendsGetsInTheRatioAskedFor() throws InterruptedException {
        FakeConnection c = new FakeConnection(0, null);
        RunOutcome r = new LoadRun(List.of(c), Workload.mixed(0.25, ReadConsistency.STALE, KEYS, 16),
                counted(1, 4_000), Duration.ofSeconds(5), 1).run(ProgressListener.NONE);
        assertThat(r.operations()).isEqualTo(4_000);
        assertThat(r.gets()).isBetween(800L, 1_200L);
        assertThat(c.gets.get()).isEqualTo(r.gets());
    }

    @Test
    void getsOnlyReadAndPutsOnlyWrite() throws InterruptedException {
        FakeConnection c = new FakeConnection(0, null);
        new LoadRun(List.of(c), Workload.get(ReadConsistency.LINEARIZABLE, KEYS, 16), counted(2, 50),
                Duration.ofSeconds(5), 1).run(ProgressListener.NONE);
        assertThat(c.gets.get()).isEqualTo(50);
        assertThat(c.puts.get()).isZero();
    }
}
