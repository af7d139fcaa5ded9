package io.raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.raftkv.core.NodeId;
import io.raftkv.kv.server.node.KvNode;
import io.raftkv.kv.server.store.ClientSession;
import io.raftkv.kv.server.store.KvResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole nodes (storage, RocksDB, runtime, Netty transport, HTTP) in one JVM on real sockets: the cluster
 * behaviours the store promises, driven through the HTTP API. Waits are conditions with deadlines.
 */
class KvClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private HttpResponse<String> put(KvNode node, String key, String value) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(node, "/v1/kv/" + key)).timeout(Duration.ofSeconds(10))
                .PUT(HttpRequest.BodyPublishers.ofString(value)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(KvNode node, String key, String consistency) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(node, "/v1/kv/" + key + "?consistency=" + consistency))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(KvNode node, String path) {
        return URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path);
    }

    private static KvNode awaitLeader(LocalKvCluster c) {
        await().atMost(DEADLINE).until(() -> c.leader() != null);
        return c.leader();
    }

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {3, 5})
    void writesThroughEveryNodeAreReadLinearizablyFromEveryNode(int size) throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, size)) {
            awaitLeader(c);
            int i = 0;
            for (KvNode writer : c.nodes.values()) {
                String key = "k" + i++;
                assertThat(put(writer, key, "from-" + writer.config().id()).statusCode()).isEqualTo(200);
                for (KvNode reader : c.nodes.values()) {
                    HttpResponse<String> r = get(reader, key, "linearizable");
                    assertThat(r.statusCode()).as("read of %s at %s", key, reader.config().id()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("from-" + writer.config().id());
                }
            }
        }
    }

    @Test
    void whenTheLeaderDiesANewLeaderServesAndEveryAcknowledgedWriteIsReadable() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3)) {
            KvNode leader = awaitLeader(c);
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                if (put(leader, "w" + i, "v" + i).statusCode() == 200) {
                    acknowledged.add("w" + i);
                }
            }
            NodeId old = leader.config().id();
            c.stop(old);
            await().atMost(DEADLINE).until(() -> c.leader() != null && !c.leader().config().id().equals(old));
            KvNode any = c.nodes.values().iterator().next();
            assertThat(put(any, "after", "x").statusCode()).isEqualTo(200);
            for (KvNode n : c.nodes.values()) {
                for (String k : acknowledged) {
                    assertThat(get(n, k, "linearizable").statusCode()).as(k + " at " + n.config().id()).isEqualTo(200);
                }
            }
        }
    }

    @Test
    void aStoppedFollowerWrittenPastCatchesUpAfterRestart() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3)) {
            KvNode leader = awaitLeader(c);
            NodeId follower = c.nodes.keySet().stream().filter(id -> !id.equals(leader.config().id())).findFirst()
                    .orElseThrow();
            c.stop(follower);
            for (int i = 0; i < 100; i++) {
                assertThat(put(leader, "p" + i, "v" + i).statusCode()).isEqualTo(200);
            }
            long target = leader.raft().status().commitIndex();
            c.start(follower);
            KvNode back = c.nodes.get(follower);
            await().atMost(DEADLINE).until(() -> back.raft().status().appliedIndex() >= target);
            assertThat(get(back, "p99", "stale").body()).isEqualTo("v99");
        }
    }

    @Test
    void aSessionWriteRetriedAcrossALeaderChangeIsAppliedOnce() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3)) {
            KvNode leader = awaitLeader(c);
            ClientSession session = new ClientSession("client-1", 1);
            byte[] key = "counter".getBytes(StandardCharsets.UTF_8);
            KvResult first = leader.service().compareAndSet(key, null, "1".getBytes(StandardCharsets.UTF_8),
                    session, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertThat(first).isInstanceOf(KvResult.Swapped.class);
            NodeId target = c.nodes.keySet().stream().filter(id -> !id.equals(leader.config().id())).findFirst()
                    .orElseThrow();
            leader.raft().transferLeadership(target).get(10, TimeUnit.SECONDS);
            await().atMost(DEADLINE).until(() -> c.leader() != null && c.leader().config().id().equals(target));
            long appliedBefore = c.nodes.get(target).raft().status().appliedIndex();
            // The client did not see the answer and retries the same write (same session and sequence) elsewhere.
            KvResult retry = c.nodes.get(target).service().compareAndSet(key, null, "1".getBytes(StandardCharsets.UTF_8),
                    session, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertThat(retry).isEqualTo(first); // a second application would have failed the comparison
            await().atMost(DEADLINE).until(() -> c.nodes.values().stream()
                    .allMatch(n -> n.raft().status().appliedIndex() > appliedBefore));
            // The counter in every state machine shows one application of the compare-and-set.
            for (KvNode n : c.nodes.values()) {
                assertThat(n.service().operationsApplied()).as("operations applied at " + n.config().id())
                        .isEqualTo(1);
            }
        }
    }

    private HttpResponse<String> fault(KvNode node, String method, String action, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(node, "/v1/fault" + action)).timeout(Duration.ofSeconds(10));
        b = method.equals("DELETE") ? b.DELETE() : b.POST(HttpRequest.BodyPublishers.ofString(json));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anIsolatedLeaderIsReplacedAndHealingReunitesTheCluster() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3)) {
            KvNode leader = awaitLeader(c);
            NodeId old = leader.config().id();
            HttpResponse<String> r = fault(leader, "POST", "/isolate", "{\"direction\": \"both\"}");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("isolated");
            assertThat(http.send(HttpRequest.newBuilder(uri(leader, "/v1/status")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("\"faults\"").contains("isolated");
            // The other two elect a leader of their own and keep serving.
            await().atMost(DEADLINE).until(() -> c.nodes.values().stream().anyMatch(n -> !n.config().id().equals(old)
                    && n.raft().isLeader()));
            KvNode other = c.nodes.values().stream().filter(n -> !n.config().id().equals(old)).findFirst().orElseThrow();
            assertThat(put(other, "during-isolation", "1").statusCode()).isEqualTo(200);
            assertThat(fault(leader, "DELETE", "", "").statusCode()).isEqualTo(200);
            await().atMost(DEADLINE).until(() -> c.leader() != null);
            assertThat(get(leader, "during-isolation", "linearizable").body()).isEqualTo("1");
        }
    }

    @Test
    void aPausedLeaderLosesLeadershipAndDroppedMessagesAreSurvived() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 3)) {
            KvNode leader = awaitLeader(c);
            long term = leader.raft().status().term();
            // Election timeouts are 10 to 20 ticks of 25 ms here: a 2 s pause outlasts them.
            assertThat(fault(leader, "POST", "/pause", "{\"millis\": 2000}").statusCode()).isEqualTo(200);
            await().atMost(DEADLINE).until(() -> c.nodes.values().stream()
                    .anyMatch(n -> n.raft().status().term() > term && n.raft().isLeader()));
            for (KvNode n : c.nodes.values()) {
                assertThat(fault(n, "POST", "/drop", "{\"percent\": 20}").statusCode()).isEqualTo(200);
            }
            // Writes through the Java client: its sessions make retries across lost messages and leader
            // changes safe, so every write must succeed (exactly once) despite a fifth of all messages lost.
            String endpoints = String.join(",", c.nodes.values().stream()
                    .map(n -> "127.0.0.1:" + n.clientAddress().getPort()).toList());
            try (io.raftkv.kv.client.KvClient client = io.raftkv.kv.client.KvClient.builder().endpoints(endpoints)
                    .requestTimeout(Duration.ofSeconds(20)).build()) {
                for (int i = 0; i < 20; i++) {
                    client.blocking().put("lossy" + i, "v" + i);
                }
                for (int i = 0; i < 20; i++) {
                    assertThat(client.blocking().get("lossy" + i)).get()
                            .extracting(v -> new String(v.value(), StandardCharsets.UTF_8)).isEqualTo("v" + i);
                }
            }
        }
    }

    @Test
    void faultEndpointsAreForbiddenUnlessEnabled() throws Exception {
        try (LocalKvCluster c = new LocalKvCluster(dir, 1, false)) {
            awaitLeader(c);
            HttpResponse<String> r = fault(c.nodes.values().iterator().next(), "POST", "/crash", "{}");
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).contains("--enable-fault-injection");
        }
    }
}
