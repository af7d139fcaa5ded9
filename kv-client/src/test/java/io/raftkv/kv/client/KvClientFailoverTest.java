package io.raftkv.kv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client when nodes fail: a leader crash, no possible quorum, and closing with requests open. */
class KvClientFailoverTest {

    @Test
    void afterTheLeaderStopsTheClientCarriesOnAndEveryAcknowledgedWriteSurvives(@TempDir Path dir) {
        try (TestCluster cluster = new TestCluster(dir, 21, "n1", "n2", "n3");
             KvClient client = KvClient.builder().endpoints(cluster.endpoints())
                     .requestTimeout(Duration.ofSeconds(15)).random(new SplittableRandom(3)).build()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.leader() != null);
            Map<String, Long> acknowledged = new LinkedHashMap<>();
            for (int i = 0; i < 20; i++) {
                acknowledged.put("before-" + i, client.blocking().put("before-" + i, "v" + i));
            }
            String oldLeader = cluster.leader();
            // Writes in flight while the leader goes: each must either fail or be applied exactly as acknowledged.
            List<CompletableFuture<Long>> inFlight = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                inFlight.add(client.put("during-" + i, "v" + i));
            }
            cluster.stop(oldLeader);
            for (int i = 0; i < 20; i++) {
                acknowledged.put("after-" + i, client.blocking().put("after-" + i, "v" + i));
            }
            for (int i = 0; i < inFlight.size(); i++) {
                // Sessions make these retries safe, so every one of them is expected to succeed.
                acknowledged.put("during-" + i, inFlight.get(i).join());
            }
            String newLeader = cluster.leader();
            assertThat(newLeader).isNotNull().isNotEqualTo(oldLeader);

            for (Map.Entry<String, Long> e : acknowledged.entrySet()) {
                String index = e.getKey().substring(e.getKey().indexOf('-') + 1);
                Optional<VersionedValue> v = client.blocking().get(e.getKey());
                assertThat(v).as(e.getKey()).hasValueSatisfying(value -> {
                    assertThat(value.valueAsString()).isEqualTo("v" + index);
                    assertThat(value.revision()).isEqualTo(e.getValue());
                });
            }
            // Both survivors hold every acknowledged write in their state machines.
            for (String id : cluster.running()) {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    for (Map.Entry<String, Long> e : acknowledged.entrySet()) {
                        assertThat(cluster.node(id).store.get(e.getKey().getBytes(StandardCharsets.UTF_8)))
                                .as("%s at %s", e.getKey(), id).isNotNull()
                                .satisfies(x -> assertThat(x.revision()).isEqualTo(e.getValue()));
                    }
                });
            }
            // Writes through a follower are forwarded, so they alone need not move the preference; what the client
            // learns from the nodes' statuses does. (Waiting for writes alone raced with the election.)
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                client.blocking().clusterStatus();
                return client.preferredEndpoint().equals(cluster.endpoint(newLeader));
            });
        }
    }

    @Test
    void withoutAPossibleQuorumRequestsFailUnavailableAtTheirDeadline(@TempDir Path dir) {
        // Three voters, one running: no leader can be elected.
        try (TestCluster cluster = new TestCluster(dir, 31, List.of("n1", "n2", "n3"), List.of("n1"));
             KvClient client = KvClient.builder().endpoints(cluster.endpointList())
                     .requestTimeout(Duration.ofMillis(800)).random(new SplittableRandom(5)).build()) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.blocking().put("k", "v"))
                    .isInstanceOfSatisfying(KvClientException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
                        assertThat(e.code().retryable()).isTrue();
                        assertThat(e.getMessage()).contains("800 ms");
                        // The lone node accepted the write and timed out on it: it cannot say it was not applied.
                        assertThat(e.outcomeUnknown()).isTrue();
                    });
            assertThatThrownBy(() -> client.blocking().get("k"))
                    .isInstanceOfSatisfying(KvClientException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
                        assertThat(e.outcomeUnknown()).isFalse();
                    });
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1600)).isLessThan(Duration.ofSeconds(4));

            // A stale read needs no quorum, and the running node still answers status.
            assertThat(client.blocking().get("k", Consistency.STALE)).isEmpty();
            ClusterStatus status = client.blocking().clusterStatus();
            assertThat(status.nodes()).containsOnlyKeys(cluster.endpoint("n1"));
            assertThat(status.failures()).containsOnlyKeys(cluster.endpoint("n2"), cluster.endpoint("n3"));
            assertThat(status.leader()).isEmpty();
        }
    }

    @Test
    void closingTheClientFailsOpenRequestsAtOnce(@TempDir Path dir) {
        try (TestCluster cluster = new TestCluster(dir, 41, List.of("n1", "n2", "n3"), List.of("n1"))) {
            KvClient client = KvClient.builder().endpoints(cluster.endpointList())
                    .requestTimeout(Duration.ofSeconds(30)).build();
            CompletableFuture<Optional<VersionedValue>> read = client.get("k");
            CompletableFuture<Long> write = client.put("k", "v");
            long started = System.nanoTime();
            client.close();
            assertThatThrownBy(read::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(KvClientException.class)
                    .satisfies(e -> assertThat(((KvClientException) e.getCause()).code()).isEqualTo(ErrorCode.CLOSED));
            assertThatThrownBy(write::join).isInstanceOf(CompletionException.class)
                    .satisfies(e -> assertThat(((KvClientException) e.getCause()).code()).isEqualTo(ErrorCode.CLOSED));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThatThrownBy(() -> client.blocking().get("k"))
                    .isInstanceOfSatisfying(KvClientException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLOSED));
        }
    }
}
