package io.raftkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.bench.load.local.MachineLimits;
import io.raftkv.bench.load.target.ReadConsistency;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON report's shape, which scripts rely on. */
class JsonReportTest {

    private static final KeySpace KEYS = new KeySpace(KeySpace.Order.SEQUENTIAL, 10, 8);
    private static final LoadShape SHAPE = new LoadShape(64, 0, 0, Duration.ofSeconds(3), Duration.ofSeconds(10), 0);

    private static CellResult result(String target, Cell cell, double seconds, long puts, long p99Micros,
                                     LeaderObservation after) {
        LatencySummary l = new LatencySummary(puts, 1, 1, 2, p99Micros / 1e3, 5, 9);
        ServerView server = new ServerView(seconds, List.of(new ServerView.NodeView("n1", "leader", 2, 2, puts,
                puts / seconds, puts, 0, Map.of("entries per fsync", 12.5))), List.of("metrics.loop.turns"));
        return new CellResult(target, cell, new RunOutcome(seconds, puts, 0, Map.of("OVERLOADED", 3L), l),
                new LeaderObservation("n1", 2), after, server, null);
    }

    @Test
    void everyResultCarriesTheCellItsFiguresTheLeaderAndTheServerSide() throws Exception {
        Cell cell = new Cell("4.put4k-c64", Workload.put(KEYS, 4096), SHAPE, NodeSelection.LEADER);
        Cell lease = new Cell("x", Workload.get(ReadConsistency.LEASE, KEYS, 8), SHAPE, NodeSelection.ALL);
        CellResult raftkv = result("raftkv", cell, 10, 30_000, 8_000, new LeaderObservation("n1", 2));
        CellResult etcd = result("etcd", cell, 10, 10_000, 40_000, new LeaderObservation("n2", 3));
        BenchReport report = new BenchReport("2026-11-22T08:00:00Z", 2, "OpenJDK 17",
                new MachineLimits("/tmp/x", 5000, 0.15, 0.9, 0.02, 0.05, 0.4, 1.2),
                List.of(raftkv, etcd, CellResult.failed("etcd", lease, "etcd has no lease reads")),
                BenchSession.comparisons(List.of(raftkv, etcd)));

        JsonNode root = new ObjectMapper().readTree(JsonReport.write(report));

        assertThat(root.path("limits").path("fsyncsPerSecond").asDouble()).isEqualTo(5000);
        assertThat(root.path("limits").path("floorMs").asDouble()).isEqualTo(0.17, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(root.path("limits").path("sharedDiskFloorMs").asDouble())
                .isEqualTo(0.42, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(root.path("leaderChanged").asBoolean()).isTrue();
        JsonNode r = root.path("results").get(0);
        assertThat(r.path("target").asText()).isEqualTo("raftkv");
        assertThat(r.path("cell").path("id").asText()).isEqualTo("4.put4k-c64");
        assertThat(r.path("cell").path("workload").asText()).isEqualTo("put");
        assertThat(r.path("cell").path("valueBytes").asInt()).isEqualTo(4096);
        assertThat(r.path("cell").path("clients").asInt()).isEqualTo(64);
        assertThat(r.path("cell").path("nodes").asText()).isEqualTo("leader");
        assertThat(r.path("cell").path("durationSeconds").asDouble()).isEqualTo(10);
        assertThat(r.path("ran").asBoolean()).isTrue();
        assertThat(r.path("opsPerSecond").asDouble()).isEqualTo(3_000);
        assertThat(r.path("megabytesPerSecond").asDouble()).isEqualTo(3_000 * 4096 / 1e6);
        assertThat(r.path("latencyMs").path("p99").asDouble()).isEqualTo(8);
        assertThat(r.path("latencyMs").path("p999").asDouble()).isEqualTo(5);
        assertThat(r.path("errors").path("OVERLOADED").asLong()).isEqualTo(3);
        assertThat(r.path("leader").path("before").path("leaderId").asText()).isEqualTo("n1");
        assertThat(r.path("leader").path("after").path("term").asLong()).isEqualTo(2);
        assertThat(r.path("leader").path("changed").asBoolean()).isFalse();
        assertThat(r.path("server").path("nodes").get(0).path("figures").path("entries per fsync").asDouble())
                .isEqualTo(12.5);
        assertThat(r.path("server").path("missingCounters").get(0).asText()).isEqualTo("metrics.loop.turns");
        assertThat(root.path("results").get(1).path("leader").path("changed").asBoolean()).isTrue();
        JsonNode notRun = root.path("results").get(2);
        assertThat(notRun.path("ran").asBoolean()).isFalse();
        assertThat(notRun.path("failure").asText()).isEqualTo("etcd has no lease reads");
        JsonNode c = root.path("comparisons").get(0);
        assertThat(c.path("cellId").asText()).isEqualTo("4.put4k-c64");
        assertThat(c.path("throughputRatio").asDouble()).isEqualTo(3);
        assertThat(c.path("p99Ratio").asDouble()).isEqualTo(5);
    }
}
