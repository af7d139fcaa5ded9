package io.raftkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.bench.load.local.RaftkvLocalCluster;
import io.raftkv.bench.load.target.BenchTarget;
import io.raftkv.bench.load.target.ReadConsistency;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load generator end to end against three real {@code raftkv server} processes (started from this test's
 * class path, which holds the cli): counted puts to the leader, then counted gets from every member after the
 * preload. Assertions are on counts and on what the server side reports, not on speed.
 */
class ProcessClusterBenchTest {

    @TempDir
    Path dir;

    @Test
    void putsAndGetsRunThroughTheClientAndTheServersReportTheirSide() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> server = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "io.raftkv.cli.RaftkvCommand");
        try (RaftkvLocalCluster cluster = RaftkvLocalCluster.start(dir, 3, server);
             BenchTarget target = cluster.target(Duration.ofSeconds(5))) {
            cluster.awaitSettled(target, Duration.ofSeconds(60));
            CellRunner runner = new CellRunner(Duration.ofSeconds(5), 1, new PrintStream(OutputStream.nullOutputStream()));
            KeySpace keys = new KeySpace(KeySpace.Order.SEQUENTIAL, 50, 8);

            CellResult puts = runner.run(target, new Cell("puts", Workload.put(keys, 64),
                    new LoadShape(4, 0, 0, Duration.ZERO, Duration.ZERO, 200), NodeSelection.LEADER),
                    ProgressListener.NONE);
            assertThat(puts.ran()).isTrue();
            assertThat(puts.outcome().puts() + puts.outcome().errorCount()).isEqualTo(200);
            assertThat(puts.outcome().puts()).isPositive();
            assertThat(puts.before().leaderId()).isNotNull();
            assertThat(puts.server().leader()).hasValueSatisfying(l -> assertThat(l.committed()).isPositive());

            CellResult gets = runner.run(target, new Cell("gets", Workload.get(ReadConsistency.LINEARIZABLE, keys, 64),
                    new LoadShape(6, 0, 0, Duration.ZERO, Duration.ZERO, 300), NodeSelection.ALL),
                    ProgressListener.NONE);
            assertThat(gets.outcome().gets() + gets.outcome().errorCount()).isEqualTo(300);
            assertThat(gets.outcome().puts()).isZero();
            assertThat(gets.server().nodes()).hasSize(3);
        }
    }
}
