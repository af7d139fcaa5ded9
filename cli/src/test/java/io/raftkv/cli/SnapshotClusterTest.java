package io.raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.raftkv.core.NodeId;
import io.raftkv.kv.server.node.KvNode;
import io.raftkv.server.SnapshotCounters;
import io.raftkv.server.SnapshotPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots in a running cluster of whole nodes: a follower left far behind is rebuilt by InstallSnapshot, a
 * transfer cut off midway resumes, and every node restarts from its snapshot plus the log after it. Small
 * thresholds and chunks make a few hundred writes enough; waits are conditions with deadlines.
 */
class SnapshotClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /** Snapshot every 100 entries keeping 20, 1 KiB chunks, 4 in flight; give up a silent transfer after 1 s. */
    private static final SnapshotPolicy SMALL = new SnapshotPolicy(100, 0, 20, 1024, 4, Duration.ofMillis(200),
            Duration.ofSeconds(1));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private HttpResponse<String> send(KvNode node, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path))
                .timeout(Duration.ofSeconds(30)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void writeKeys(KvNode leader, int from, int to, int valueBytes) throws Exception {
        String pad = "x".repeat(valueBytes);
        for (int i = from; i < to; i++) {
            assertThat(send(leader, "PUT", "/v1/kv/k" + i, "v" + i + pad).statusCode()).isEqualTo(200);
        }
    }

    /** Every key with its value and revision, read from this node's local state (compared key by key). */
    private String allData(KvNode node) throws Exception {
        HttpResponse<String> r = send(node, "GET", "/v1/kv?prefix=k&limit=10000&consistency=stale", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static KvNode awaitLeader(LocalKvCluster c) {
        await().atMost(DEADLINE).until(() -> c.leader() != null);
        return c.leader();
    }

    private static NodeId aFollower(LocalKvCluster c, KvNode leader) {
        return c.nodes.keySet().stream().filter(id -> !id.equals(leader.config().id())).findFirst().orElseThrow();
    }

    /** Stops a follower and writes until the leader's log starts after everything the follower has. */
    private NodeId leaveAFollowerBehind(LocalKvCluster c, KvNode leader, int keys, int valueBytes) throws Exception {
        NodeId follower = aFollower(c, leader);
        long followerLast = c.nodes.get(follower).raft().status().lastIndex();
        c.stop(follower);
        writeKeys(leader, 0, keys, valueBytes);
        await().atMost(DEADLINE).until(() -> leader.raft().status().snapshotIndex()
                > followerLast + SMALL.keepEntries() + 1);
        return follower;
    }

    @Test
    void aFollowerLeftFarBehindIsRebuiltByInstallSnapshotThenTheLog() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3, true, SMALL)) {
            KvNode leader = awaitLeader(c);
            NodeId follower = leaveAFollowerBehind(c, leader, 600, 100);
            c.start(follower);
            KvNode back = c.nodes.get(follower);
            writeKeys(leader, 600, 650, 100); // and more after the snapshot, which come from the log
            long target = leader.raft().status().commitIndex();
            await().atMost(DEADLINE).until(() -> back.raft().status().appliedIndex() >= target);
            assertThat(back.raft().snapshotCounters().installed()).as("installed from the leader").isPositive();
            assertThat(leader.raft().snapshotCounters().sent()).isPositive();
            assertThat(allData(back)).isEqualTo(allData(leader)).contains("\"key\":\"k649\"");
        }
    }

    /**
     * Leaves a follower behind by a snapshot of about 400 chunks, restarts it with its answers slowed (so the
     * transfer is still running when the test strikes) and returns it once 20 chunks have arrived.
     */
    private KvNode restartBehindWithASlowTransfer(LocalKvCluster c, KvNode leader) throws Exception {
        NodeId follower = leaveAFollowerBehind(c, leader, 400, 1000);
        c.start(follower);
        KvNode back = c.nodes.get(follower);
        assertThat(send(back, "POST", "/v1/fault/delay", "{\"millis\": 20}").statusCode()).isEqualTo(200);
        SnapshotCounters counters = back.raft().snapshotCounters();
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(5)).until(() -> counters.chunksReceived() >= 20);
        return back;
    }

    @Test
    void aTransferCutOffMidwayResumesAndCompletes() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3, true, SMALL)) {
            KvNode leader = awaitLeader(c);
            KvNode back = restartBehindWithASlowTransfer(c, leader);
            SnapshotCounters counters = back.raft().snapshotCounters();
            assertThat(send(back, "POST", "/v1/fault/isolate", "{\"direction\": \"both\"}").statusCode())
                    .isEqualTo(200);
            // The leader gives up on the silent transfer (1 s without progress)...
            await().atMost(DEADLINE).until(() -> leader.raft().snapshotCounters().sendFailures() > 0);
            assertThat(send(back, "DELETE", "/v1/fault", null).statusCode()).isEqualTo(200);
            long target = leader.raft().status().commitIndex();
            // ...and offers it again after healing: the follower continues from the data it holds.
            await().atMost(DEADLINE).until(() -> back.raft().status().appliedIndex() >= target);
            assertThat(counters.transfersResumed()).as("resumed instead of starting over").isPositive();
            assertThat(counters.installed()).isPositive();
            assertThat(allData(back)).isEqualTo(allData(leader));
        }
    }

    @Test
    void aTransferWhoseLeaderIsKilledMidwayCompletesFromTheNewLeader() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3, true, SMALL)) {
            KvNode leader = awaitLeader(c);
            KvNode back = restartBehindWithASlowTransfer(c, leader);
            NodeId follower = back.config().id();
            SnapshotCounters counters = back.raft().snapshotCounters();
            assertThat(counters.installed()).as("still transferring when the leader dies").isZero();
            NodeId oldLeader = leader.config().id();
            c.stop(oldLeader);
            assertThat(send(back, "DELETE", "/v1/fault", null).statusCode()).isEqualTo(200);
            // The third node is elected with the lagging follower's vote and sends its own snapshot.
            KvNode newLeader = awaitLeader(c);
            assertThat(newLeader.config().id()).isNotEqualTo(oldLeader).isNotEqualTo(follower);
            writeKeys(newLeader, 400, 420, 100);
            long target = newLeader.raft().status().commitIndex();
            await().atMost(DEADLINE).until(() -> back.raft().status().appliedIndex() >= target);
            assertThat(counters.installed()).isPositive();
            assertThat(newLeader.raft().snapshotCounters().sent()).as("sent by the new leader").isPositive();
            assertThat(allData(back)).isEqualTo(allData(newLeader)).contains("\"key\":\"k419\"");
        }
    }

    @Test
    void everyNodeRestartedFromItsSnapshotPlusTheLogHasTheSameData() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3, true, SMALL.withThresholds(0, 0, 20))) {
            KvNode leader = awaitLeader(c);
            writeKeys(leader, 0, 300, 50);
            long written = leader.raft().status().commitIndex();
            for (KvNode n : c.nodes.values()) {
                await().atMost(DEADLINE).until(() -> n.raft().status().appliedIndex() >= written);
                HttpResponse<String> r = send(n, "POST", "/v1/admin/snapshot", "");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).contains("\"index\":");
            }
            writeKeys(leader, 300, 350, 50); // after the snapshots: replayed from the log on restart
            String expected = allData(leader);
            long last = leader.raft().status().commitIndex();
            List<NodeId> ids = new ArrayList<>(c.nodes.keySet());
            for (NodeId id : ids) {
                await().atMost(DEADLINE).until(() -> c.nodes.get(id).raft().status().appliedIndex() >= last);
            }
            for (NodeId id : ids) {
                c.stop(id);
            }
            for (NodeId id : ids) {
                c.start(id);
            }
            awaitLeader(c);
            for (NodeId id : ids) {
                KvNode n = c.nodes.get(id);
                assertThat(n.raft().status().snapshotIndex()).as(id + " starts from its snapshot").isPositive();
                await().atMost(DEADLINE).until(() -> n.raft().status().appliedIndex() >= last);
                assertThat(allData(n)).as(id.value()).isEqualTo(expected).contains("\"key\":\"k349\"");
            }
        }
    }
}
