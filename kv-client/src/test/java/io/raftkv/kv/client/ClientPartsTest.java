package io.raftkv.kv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client's parts that need no cluster: endpoints, backoff, the session pool, prefix ends. */
class ClientPartsTest {

    @Test
    void endpointsParseHostsPortsAndIpv6() {
        assertThat(Endpoint.parseList(" 127.0.0.1:8001, node-2:8002 ,[::1]:8003"))
                .containsExactly(new Endpoint("127.0.0.1", 8001), new Endpoint("node-2", 8002), new Endpoint("::1", 8003));
        assertThat(new Endpoint("::1", 8003)).hasToString("[::1]:8003");
        for (String bad : List.of("nohost", ":80", "h:", "h:x", "h:0", "h:70000", "::1:80")) {
            assertThatThrownBy(() -> Endpoint.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Endpoint.parseList(" , ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void backoffGrowsExponentiallyWithinJitterBoundsAndIsCapped() {
        Backoff b = new Backoff(20, 1000, new SplittableRandom(1));
        for (int retry = 1; retry <= 12; retry++) {
            long ceiling = Math.min(1000, 20L << (retry - 1));
            for (int i = 0; i < 50; i++) {
                assertThat(b.delayMillis(retry)).isBetween(ceiling - ceiling / 2, ceiling);
            }
        }
        assertThat(new Backoff(20, 1000, new SplittableRandom(1)).delayMillis(1))
                .as("seeded: reproducible").isEqualTo(new Backoff(20, 1000, new SplittableRandom(1)).delayMillis(1));
    }

    @Test
    void sessionPoolIsBoundedHandsOutIncreasingSequencesAndQueuesWaiters() {
        AtomicInteger ids = new AtomicInteger();
        SessionPool pool = new SessionPool(2, () -> "s" + ids.incrementAndGet());
        SessionPool.Lease a = pool.acquire().join();
        SessionPool.Lease b = pool.acquire().join();
        assertThat(a.clientId()).isEqualTo("s1");
        assertThat(b.clientId()).isEqualTo("s2");
        assertThat(a.sequence()).isEqualTo(1);

        CompletableFuture<SessionPool.Lease> waiting = pool.acquire();
        CompletableFuture<SessionPool.Lease> abandoned = pool.acquire();
        assertThat(waiting).isNotDone();
        assertThat(pool.created()).isEqualTo(2);

        abandoned.cancel(false);
        pool.abandon(abandoned);
        pool.release(a.session());
        SessionPool.Lease again = waiting.join();
        assertThat(again.clientId()).isEqualTo(a.clientId());
        assertThat(again.sequence()).isEqualTo(2);

        pool.release(b.session());
        pool.release(again.session());
        Set<String> reused = new HashSet<>();
        List<SessionPool.Lease> leases = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            leases.add(pool.acquire().join());
            reused.add(leases.get(i).clientId());
        }
        assertThat(reused).containsExactlyInAnyOrder("s1", "s2");
        assertThat(leases).extracting(SessionPool.Lease::sequence).allMatch(seq -> seq > 1);

        CompletableFuture<SessionPool.Lease> last = pool.acquire();
        pool.close();
        assertThat(last).isCompletedExceptionally();
        assertThatThrownBy(() -> pool.acquire().join()).hasCauseInstanceOf(KvClientException.class);
    }

    @Test
    void sessionIdsAreUniqueUuidsWithinTheProtocolLimit() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = SessionPool.randomClientId();
            assertThat(id).startsWith("kvc-").hasSizeBetween(1, 64);
            assertThat(seen.add(id)).isTrue();
        }
    }

    @Test
    void prefixEndIsTheFirstKeyAfterThePrefix() {
        assertThat(KvClient.prefixEnd(new byte[] {'a', 'b'})).containsExactly('a', 'c');
        assertThat(KvClient.prefixEnd(new byte[] {'a', (byte) 0xFF})).containsExactly('b');
        assertThat(KvClient.prefixEnd(new byte[] {(byte) 0xFF, (byte) 0xFF})).isNull();
        assertThat(KvClient.prefixEnd(new byte[0])).isNull();
    }

    @Test
    void theBuilderRefusesNonsense() {
        assertThatThrownBy(() -> KvClient.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> KvClient.builder().requestTimeout(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvClient.builder().maxSessions(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvClient.builder().endpoints(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
