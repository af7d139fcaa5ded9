package io.raftkv.kv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.raftkv.kv.server.store.KvStateMachine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once writes: a proxy in front of the nodes drops write responses and cuts the connection after the
 * server applied the write, so the client retries a write that already took effect. Sessions must make the
 * retry return the original result instead of applying again.
 */
class ExactlyOnceTest {

    private TestCluster cluster;
    private final List<DroppingProxy> proxies = new ArrayList<>();

    @BeforeEach
    void startCluster(@TempDir Path dir) {
        cluster = new TestCluster(dir, 51, "n1", "n2", "n3");
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.leader() != null);
    }

    @AfterEach
    void stop() throws Exception {
        for (DroppingProxy p : proxies) {
            p.close();
        }
        cluster.close();
    }

    private DroppingProxy proxy(String node, java.util.function.Predicate<io.raftkv.kv.api.proto.ClientResponse> drop)
            throws Exception {
        DroppingProxy p = new DroppingProxy(cluster.endpoint(node), drop);
        proxies.add(p);
        return p;
    }

    @Test
    void aCompareAndSetWhoseAnswerIsLostIsRetriedAndReportsItsOwnSuccess() throws Exception {
        AtomicInteger budget = new AtomicInteger(1);
        // A follower, so the write is also forwarded: the answer lost is the one after the whole round trip.
        String follower = cluster.running().stream().filter(id -> !id.equals(cluster.leader())).findFirst()
                .orElseThrow();
        DroppingProxy proxy = proxy(follower, r -> r.hasCas() && budget.getAndDecrement() > 0);
        try (KvClient client = KvClient.builder().endpoints(List.of(proxy.endpoint()))
                .requestTimeout(Duration.ofSeconds(10)).random(new SplittableRandom(1)).build()) {
            CasResult result = client.blocking().compareAndSet("once", null, "first");

            assertThat(proxy.dropped()).as("the first answer was dropped").isEqualTo(1);
            assertThat(proxy.connections()).as("the retry came on a new connection").isGreaterThanOrEqualTo(2);
            // Without the session the retry would find the key present and report failure.
            assertThat(result.succeeded()).isTrue();
            KvStateMachine.Versioned stored = cluster.node(follower).store.get(utf8("once"));
            assertThat(stored).isNotNull();
            assertThat(new String(stored.value(), StandardCharsets.UTF_8)).isEqualTo("first");
            assertThat(stored.revision()).isEqualTo(result.revision());
            assertThat(client.blocking().get("once")).hasValueSatisfying(v -> {
                assertThat(v.valueAsString()).isEqualTo("first");
                assertThat(v.revision()).isEqualTo(result.revision());
            });
        }
    }

    @Test
    void putsWhoseAnswersAreLostKeepTheirRevision() throws Exception {
        AtomicInteger budget = new AtomicInteger(1);
        DroppingProxy proxy = proxy(cluster.leader(), r -> r.hasPut() && budget.getAndDecrement() > 0);
        try (KvClient client = KvClient.builder().endpoints(List.of(proxy.endpoint()))
                .requestTimeout(Duration.ofSeconds(10)).random(new SplittableRandom(2)).build()) {
            long revision = client.blocking().put("put-once", "x");
            assertThat(proxy.dropped()).isEqualTo(1);
            // Applied once: the retry's answer is the first application's revision, and nothing wrote after it.
            assertThat(client.blocking().get("put-once").orElseThrow().revision()).isEqualTo(revision);
        }
    }

    @Test
    void aCounterIncrementedByCompareAndSetLoopsThroughLossyConnectionsCountsExactly() throws Exception {
        SplittableRandom lossy = new SplittableRandom(99);
        AtomicInteger dropsLeft = new AtomicInteger(15);
        List<Endpoint> endpoints = new ArrayList<>();
        for (String id : List.of("n1", "n2", "n3")) {
            endpoints.add(proxy(id, r -> {
                if (!r.hasCas()) {
                    return false;
                }
                synchronized (lossy) {
                    return lossy.nextInt(100) < 30 && dropsLeft.getAndDecrement() > 0;
                }
            }).endpoint());
        }
        int workers = 2;
        int incrementsEach = 15;
        try (KvClient client = KvClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(15))
                .random(new SplittableRandom(4)).build()) {
            client.blocking().put("counter", "0");
            List<CompletableFuture<Void>> running = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                running.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < incrementsEach; i++) {
                        increment(client.blocking(), "counter");
                    }
                }));
            }
            CompletableFuture.allOf(running.toArray(new CompletableFuture<?>[0])).join();
            assertThat(client.blocking().get("counter").orElseThrow().valueAsString())
                    .isEqualTo(Integer.toString(workers * incrementsEach));
        }
        int dropped = proxies.stream().mapToInt(DroppingProxy::dropped).sum();
        assertThat(dropped).as("answers lost along the way").isPositive();
    }

    /** The classic read-modify-write loop: correct only if a retried CAS is not applied (or reported) twice. */
    private static void increment(BlockingKvClient kv, String key) {
        while (true) {
            String current = kv.get(key).orElseThrow().valueAsString();
            String next = Integer.toString(Integer.parseInt(current) + 1);
            if (kv.compareAndSet(key, current, next).succeeded()) {
                return;
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
