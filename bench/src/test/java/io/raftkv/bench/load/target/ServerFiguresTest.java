package io.raftkv.bench.load.target;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.bench.load.ServerView;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How the server side's view is read: status JSON, Prometheus text, figures from counter deltas. */
class ServerFiguresTest {

    @Test
    void everyNumberOfTheStatusIsACounterByItsDottedPath() throws Exception {
        Map<String, Double> n = JsonNumbers.flatten(new ObjectMapper().readTree(
                "{\"id\":\"n1\",\"term\":3,\"members\":[{\"id\":\"n1\"}],\"metrics\":{\"storage\":{\"fsyncs\":12},"
                        + "\"loop.turns\":7}}"));
        assertThat(n).containsExactlyInAnyOrderEntriesOf(Map.of("term", 3.0, "metrics.storage.fsyncs", 12.0,
                "metrics.loop.turns", 7.0));
    }

    @Test
    void prometheusSamplesOfTheWantedMetricsAreSummedOverLabels() {
        String text = """
                # HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL.
                # TYPE etcd_disk_wal_fsync_duration_seconds histogram
                etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 10
                etcd_disk_wal_fsync_duration_seconds_sum 0.25
                etcd_disk_wal_fsync_duration_seconds_count 100
                etcd_server_proposals_committed_total 1.5e+03
                etcd_network_peer_sent_bytes_total{To="a b"} 5
                etcd_network_peer_sent_bytes_total{To="c"} 7
                """;
        assertThat(PrometheusText.read(text, Set.of("etcd_disk_wal_fsync_duration_seconds_count",
                "etcd_disk_wal_fsync_duration_seconds_sum", "etcd_server_proposals_committed_total",
                "etcd_network_peer_sent_bytes_total"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "etcd_disk_wal_fsync_duration_seconds_count", 100.0,
                "etcd_disk_wal_fsync_duration_seconds_sum", 0.25,
                "etcd_server_proposals_committed_total", 1500.0,
                "etcd_network_peer_sent_bytes_total", 12.0));
    }

    @Test
    void aFigureIsTheRatioOfTwoCounterDeltasWhenBothExistAndTheDenominatorGrew() {
        ServerFigure perFsync = new ServerFigure("entries per fsync", "e", "f", 1);
        assertThat(perFsync.between(Map.of("e", 100.0, "f", 10.0), Map.of("e", 500.0, "f", 18.0)).getAsDouble())
                .isEqualTo(50);
        assertThat(perFsync.between(Map.of("e", 1.0, "f", 2.0), Map.of("e", 5.0, "f", 2.0))).isEmpty();
        assertThat(perFsync.between(Map.of(), Map.of("e", 5.0, "f", 2.0))).isEmpty();
        ServerFigure ms = new ServerFigure("fsync mean ms", "s", "f", 1e3);
        assertThat(ms.between(Map.of("s", 0.0, "f", 0.0), Map.of("s", 0.5, "f", 1000.0)).getAsDouble())
                .isEqualTo(0.5);
    }

    @Test
    void theViewDerivesPerMemberFiguresAndNamesTheCountersTheLeaderLacks() {
        NodeSnapshot l0 = new NodeSnapshot("a:1", "n1", "leader", 2, "n1", 100, 100, Map.of("e", 0.0, "f", 0.0));
        NodeSnapshot f0 = new NodeSnapshot("a:2", "n2", "follower", 2, "n1", 100, 90, Map.of());
        NodeSnapshot l1 = new NodeSnapshot("a:1", "n1", "leader", 2, "n1", 1100, 1100, Map.of("e", 1000.0, "f", 10.0));
        NodeSnapshot f1 = new NodeSnapshot("a:2", "n2", "follower", 2, "n1", 1100, 1050, Map.of());
        ClusterSnapshot before = new ClusterSnapshot(0, List.of(l0, f0), Map.of());
        ClusterSnapshot after = new ClusterSnapshot(2_000_000_000L, List.of(l1, f1), Map.of());
        ServerView v = ServerView.between(before, after, List.of(new ServerFigure("entries per fsync", "e", "f", 1),
                new ServerFigure("loop", "turns", "f", 1)));
        assertThat(v.seconds()).isEqualTo(2);
        ServerView.NodeView leader = v.leader().orElseThrow();
        assertThat(leader.committed()).isEqualTo(1000);
        assertThat(leader.committedPerSecond()).isEqualTo(500);
        assertThat(leader.figures()).containsExactlyEntriesOf(Map.of("entries per fsync", 100.0));
        assertThat(v.nodes().get(1).applyLag()).isEqualTo(50);
        assertThat(v.missingCounters()).containsExactly("turns");
    }

    @Test
    void aClusterIsSettledWhenEveryMemberNamesTheSameLeader() {
        NodeSnapshot l = new NodeSnapshot("a:1", "n1", "leader", 2, "n1", 1, 1, Map.of());
        NodeSnapshot f = new NodeSnapshot("a:2", "n2", "follower", 2, "n1", 1, 1, Map.of());
        NodeSnapshot lost = new NodeSnapshot("a:3", "n3", "follower", 2, null, 1, 1, Map.of());
        assertThat(new ClusterSnapshot(0, List.of(l, f), Map.of()).settled(2)).isTrue();
        assertThat(new ClusterSnapshot(0, List.of(l, f), Map.of()).settled(3)).isFalse();
        assertThat(new ClusterSnapshot(0, List.of(l, f, lost), Map.of()).settled(3)).isFalse();
        assertThat(new ClusterSnapshot(0, List.of(f), Map.of()).leader()).isEmpty();
    }
}
