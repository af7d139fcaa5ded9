package io.raftkv.kv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a healthy 3-node cluster in this JVM (shared by the tests, which use their own keys):
 * every operation through every endpoint, linearizable reads at every node, leader discovery, pipelining,
 * bounded sessions and the blocking facade's guard.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KvClientTest {

    private TestCluster cluster;
    private KvClient client;

    @BeforeAll
    void startCluster(@TempDir Path dir) {
        cluster = new TestCluster(dir, 11, "n1", "n2", "n3");
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.leader() != null);
        client = client(cluster.endpoints()).build();
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KvClient.Builder client(List<Endpoint> endpoints) {
        return KvClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(10))
                .random(new SplittableRandom(7));
    }

    @Test
    void everyOperationWorksThroughEveryEndpoint() {
        for (String id : List.of("n1", "n2", "n3")) {
            try (KvClient single = client(List.of(cluster.endpoint(id))).build()) {
                BlockingKvClient kv = single.blocking();
                String p = "ops-" + id + "/";
                long r1 = kv.put(p + "a", "1");
                assertThat(r1).isPositive();
                assertThat(kv.get(p + "a")).hasValueSatisfying(v -> {
                    assertThat(v.valueAsString()).isEqualTo("1");
                    assertThat(v.revision()).isEqualTo(r1);
                });
                assertThat(kv.get(p + "missing")).isEmpty();

                CasResult wrong = kv.compareAndSet(p + "a", "0", "2");
                assertThat(wrong).isEqualTo(new CasResult(false, r1));
                CasResult right = kv.compareAndSet(p + "a", "1", "2");
                assertThat(right.succeeded()).isTrue();
                assertThat(right.revision()).isGreaterThan(r1);
                assertThat(kv.compareAndSet(p + "b", null, "fresh").succeeded()).isTrue();
                assertThat(kv.compareAndSet(p + "b", null, "again").succeeded()).isFalse();

                kv.put(p + "c", "3");
                ScanPage all = kv.scanPrefix(p, 10);
                assertThat(all.items()).extracting(KeyValue::keyAsString).containsExactly(p + "a", p + "b", p + "c");
                assertThat(all.items()).extracting(KeyValue::valueAsString).containsExactly("2", "fresh", "3");
                assertThat(all.more()).isFalse();
                ScanPage first = kv.scanPrefix(p, 2);
                assertThat(first.more()).isTrue();
                ScanPage rest = kv.scan(first.nextStart(), KvClient.prefixEnd(utf8(p)), 10);
                assertThat(rest.items()).extracting(KeyValue::keyAsString).containsExactly(p + "c");

                DeleteResult deleted = kv.delete(p + "a");
                assertThat(deleted.deleted()).isTrue();
                assertThat(kv.delete(p + "a").deleted()).isFalse();
                assertThat(kv.get(p + "a")).isEmpty();
                assertThat(kv.get(p + "c", Consistency.LEASE)).isPresent();
            }
        }
    }

    @Test
    void binaryKeysAndValuesRoundTrip() {
        byte[] key = {0, (byte) 0xFF, 10, 13};
        byte[] value = {(byte) 0x80, 0, 1};
        long rev = client.blocking().put(key, value);
        assertThat(client.blocking().get(key)).contains(new VersionedValue(value, rev));
        assertThat(client.blocking().put(new byte[] {1}, new byte[0])).isPositive();
        assertThat(client.blocking().get(new byte[] {1}).map(VersionedValue::value)).contains(new byte[0]);
    }

    @Test
    void linearizableReadsAtEveryNodeSeeEveryAcknowledgedWrite() {
        List<KvClient> singles = new ArrayList<>();
        try {
            for (String id : List.of("n1", "n2", "n3")) {
                singles.add(client(List.of(cluster.endpoint(id))).build());
            }
            for (int i = 0; i < 20; i++) {
                String value = "v" + i;
                client.blocking().put("lin", value);
                // No waiting: a linearizable read at any node reflects the write the moment it was acknowledged.
                for (KvClient single : singles) {
                    assertThat(single.blocking().get("lin").map(VersionedValue::valueAsString)).contains(value);
                }
            }
        } finally {
            singles.forEach(KvClient::close);
        }
    }

    @Test
    void theClientFindsAndPrefersTheLeader() {
        ClusterStatus status = client.blocking().clusterStatus();
        assertThat(status.nodes()).hasSize(3);
        assertThat(status.failures()).isEmpty();
        Endpoint leader = status.leader().orElseThrow();
        assertThat(leader).isEqualTo(cluster.endpoint(cluster.leader()));
        NodeStatus ls = client.blocking().status(leader);
        assertThat(ls.isLeader()).isTrue();
        assertThat(ls.members()).extracting(NodeStatus.Member::id).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(ls.members()).extracting(NodeStatus.Member::role).containsOnly("voter");
        status.nodes().values().forEach(s -> assertThat(s.leaderId()).isEqualTo(ls.id()));
        await().atMost(Duration.ofSeconds(5)).until(() -> client.preferredEndpoint().equals(leader));
    }

    @Test
    void manyPipelinedRequestsShareOneConnectionAndBoundedSessions() {
        try (KvClient small = client(cluster.endpoints()).maxSessions(3).build()) {
            List<CompletableFuture<Long>> writes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                writes.add(small.put("pipe/" + i, "v" + i));
            }
            List<CompletableFuture<Optional<VersionedValue>>> reads = new ArrayList<>();
            CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).join();
            for (int i = 0; i < 200; i++) {
                reads.add(small.get("pipe/" + i));
            }
            for (int i = 0; i < 200; i++) {
                assertThat(reads.get(i).join().map(VersionedValue::valueAsString)).contains("v" + i);
                assertThat(reads.get(i).join().get().revision()).isEqualTo(writes.get(i).join());
            }
            assertThat(small.sessionsCreated()).isBetween(1, 3);
        }
    }

    @Test
    void aRequestOverTheFrameLimitFailsTooLargeWithoutSending() {
        byte[] huge = new byte[ClientProtocolLimits.FRAME + 1];
        assertThatThrownBy(() -> client.blocking().put(utf8("huge"), huge))
                .isInstanceOfSatisfying(KvClientException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE);
                    assertThat(e.outcomeUnknown()).isFalse();
                });
        // The server's own limits: a 5 KiB key is refused there.
        assertThatThrownBy(() -> client.blocking().put("k".repeat(5000), "v"))
                .isInstanceOfSatisfying(KvClientException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
        assertThatThrownBy(() -> client.blocking().put("", "v"))
                .isInstanceOfSatisfying(KvClientException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        // The connection survived: the next request is served.
        assertThat(client.blocking().put("after-too-large", "ok")).isPositive();
    }

    @Test
    void blockingOnTheIoThreadIsRefusedInsteadOfDeadlocking() {
        // The callback runs on the I/O thread only if the answer arrives after it is attached; when the answer
        // wins that race, the callback runs here, where blocking is allowed. So try until one ran there.
        String testThread = Thread.currentThread().getName();
        for (int attempt = 0; attempt < 100; attempt++) {
            AtomicReference<String> ranOn = new AtomicReference<>();
            CompletableFuture<Object> nested = client.put("nested", "x").thenApply(rev -> {
                ranOn.set(Thread.currentThread().getName());
                return client.blocking().get("nested");
            });
            Throwable outcome = catchThrowable(nested::join);
            if (!testThread.equals(ranOn.get())) {
                assertThat(outcome).as("blocking on %s", ranOn.get()).isInstanceOf(CompletionException.class)
                        .hasCauseInstanceOf(IllegalStateException.class);
                return;
            }
        }
        fail("in 100 attempts the answer always arrived before the callback was attached");
    }

    @Test
    void aCallbackExecutorRunsCallbacksOffTheIoThread() {
        ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "user-callbacks"));
        try (KvClient c = client(cluster.endpoints()).callbackExecutor(callbacks).build()) {
            String thread = c.put("cb", "x").thenApply(rev -> Thread.currentThread().getName()).join();
            assertThat(thread).isEqualTo("user-callbacks");
            // Blocking from there is fine.
            assertThat(c.get("cb").thenApply(v -> c.blocking().get("cb")).join()).isPresent();
        } finally {
            callbacks.shutdownNow();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The protocol's default frame limit, which the client enforces before sending. */
    private static final class ClientProtocolLimits {
        static final int FRAME = io.raftkv.kv.api.ClientProtocol.DEFAULT_MAX_FRAME_BYTES;
    }
}
