package io.raftkv.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.raftkv.core.NodeId;
import io.raftkv.core.message.HeartbeatRequest;
import io.raftkv.core.message.HeartbeatResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link NettyRaftTransport#acceptUnconfiguredPeers}: a node with no peers (an idle node waiting to be added)
 * learns the address of a node that dials it from that node's Hello, and can answer it. Real transports on
 * 127.0.0.1 with ephemeral ports; deadlines bound the waits, no assertion depends on timing.
 */
@Timeout(120)
class AcceptUnconfiguredPeersTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private long round;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private TestNode node(TransportConfig config) {
        TestNode n = TestNode.start(config);
        toClose.add(n);
        return n;
    }

    private static void awaitConnected(TestNode from, TestNode to) {
        await().atMost(DEADLINE).until(() -> from.connectedTo(to));
    }

    /** A heartbeat from {@code from} that {@code to} receives (awaited). */
    private HeartbeatRequest deliver(TestNode from, TestNode to) {
        HeartbeatRequest ping = new HeartbeatRequest(from.id, to.id, 1, 0, ++round);
        from.transport.send(ping);
        await().atMost(DEADLINE).until(() -> to.received().contains(ping));
        return ping;
    }

    /** {@code from} answers {@code to}, which must receive the answer. */
    private void answer(TestNode from, TestNode to) {
        awaitConnected(from, to);
        HeartbeatResponse pong = new HeartbeatResponse(from.id, to.id, 1, ++round);
        from.transport.send(pong);
        await().atMost(DEADLINE).until(() -> to.received().contains(pong));
    }

    /** An address where nothing listens. */
    private static InetSocketAddress nobody() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return (InetSocketAddress) s.getLocalSocketAddress();
        }
    }

    /** A, knowing B, dials idle B, which accepts unconfigured peers and learns A from A's Hello. */
    private TestNode[] aDialsIdleB() {
        TestNode a = node(TestNode.config("a", 0));
        TestNode b = node(TestNode.config("b", 0));
        b.transport.acceptUnconfiguredPeers(true);
        a.transport.updatePeers(Map.of(b.id, b.address()));
        awaitConnected(a, b);
        deliver(a, b);
        // Learned on the Hello, before anything on that connection was delivered.
        assertThat(b.stats(a)).isNotNull();
        assertThat(b.stats(a).address()).isEqualTo(a.address());
        return new TestNode[] {a, b};
    }

    @Test
    void anIdleNodeLearnsTheAddressOfAnUnconfiguredPeerFromItsHelloAndAnswers() {
        TestNode[] ab = aDialsIdleB();
        TestNode a = ab[0];
        TestNode b = ab[1];
        answer(b, a);
        assertThat(b.stats(a).droppedMessages()).isZero();
        assertThat(b.transport.rejectedConnections()).isZero();
    }

    @Test
    void withoutAcceptModeAnUnconfiguredPeerIsRefusedAsBefore() {
        TestNode a = node(TestNode.config("a", 0));
        TestNode b = node(TestNode.config("b", 0));
        a.transport.updatePeers(Map.of(b.id, b.address()));
        await().atMost(DEADLINE).until(() -> b.transport.rejectedConnections() > 0);
        a.transport.send(new HeartbeatRequest(a.id, b.id, 1, 0, 1));
        // B learned nothing: an answer is dropped as to any unknown node.
        b.transport.send(new HeartbeatResponse(b.id, a.id, 1, 1));
        assertThat(b.transport.stats()).isEmpty();
        long rejected = b.transport.rejectedConnections();
        await().atMost(DEADLINE).until(() -> b.transport.rejectedConnections() > rejected);
        assertThat(b.received()).isEmpty();
        assertThat(a.received()).isEmpty();
    }

    @Test
    void anotherClusterIsRefusedEvenInAcceptMode() {
        TestNode a = node(TestNode.config("a", 0, "another-cluster"));
        TestNode b = node(TestNode.config("b", 0));
        b.transport.acceptUnconfiguredPeers(true);
        a.transport.updatePeers(Map.of(b.id, b.address()));
        await().atMost(DEADLINE).until(() -> b.transport.rejectedConnections() > 0);
        a.transport.send(new HeartbeatRequest(a.id, b.id, 1, 0, 1));
        long rejected = b.transport.rejectedConnections();
        await().atMost(DEADLINE).until(() -> b.transport.rejectedConnections() > rejected);
        assertThat(b.transport.stats()).isEmpty();
        assertThat(b.received()).isEmpty();
    }

    @Test
    void switchingAcceptModeOffDropsLearnedPeersButKeepsConfiguredOnes() throws IOException {
        TestNode[] ab = aDialsIdleB();
        TestNode a = ab[0];
        TestNode b = ab[1];
        NodeId configured = NodeId.of("c");
        InetSocketAddress cAddress = nobody();
        b.transport.updatePeers(Map.of(configured, cAddress));
        assertThat(b.transport.stats()).containsOnlyKeys(a.id, configured);

        long rejected = b.transport.rejectedConnections();
        b.transport.acceptUnconfiguredPeers(false);
        assertThat(b.transport.stats()).containsOnlyKeys(configured);
        // An answer to A is now dropped as to any unknown node: no link, nothing counted.
        b.transport.send(new HeartbeatResponse(b.id, a.id, 1, 99));
        assertThat(b.transport.stats()).containsOnlyKeys(configured);
        assertThat(b.stats(a)).isNull();
        // B closed A's connections, and A's redials are refused again.
        await().atMost(DEADLINE).until(() -> b.transport.rejectedConnections() > rejected);
        int receivedBefore = b.receivedCount();
        a.transport.send(new HeartbeatRequest(a.id, b.id, 1, 0, 100));
        long rejectedAgain = b.transport.rejectedConnections();
        await().atMost(DEADLINE).until(() -> b.transport.rejectedConnections() > rejectedAgain);
        assertThat(b.receivedCount()).isEqualTo(receivedBefore);
        assertThat(a.received()).isEmpty();
    }

    @Test
    void aConfiguredAddressWinsOverALearnedOne() throws IOException {
        TestNode[] ab = aDialsIdleB();
        TestNode a = ab[0];
        TestNode b = ab[1];
        InetSocketAddress configured = nobody();
        b.transport.updatePeers(Map.of(a.id, configured));
        assertThat(b.stats(a).address()).isEqualTo(configured);

        // A dials B anew: its Hello advertises its real address again, which B must not take over the configured one.
        a.transport.updatePeers(Map.of());
        a.transport.updatePeers(Map.of(b.id, b.address()));
        awaitConnected(a, b);
        deliver(a, b);
        assertThat(b.stats(a).address()).isEqualTo(configured);

        // Removed from the configuration while B still accepts unconfigured peers: B disconnects A, whose redial
        // is accepted, and A is learned again from its Hello.
        b.transport.updatePeers(Map.of());
        await().atMost(DEADLINE).until(() -> b.stats(a) != null && b.stats(a).address().equals(a.address()));
        answer(b, a);
    }

    @Test
    void aLearnedPeerThatRestartsOnAnotherPortIsRedialledThere() throws IOException {
        TestNode[] ab = aDialsIdleB();
        TestNode a = ab[0];
        TestNode b = ab[1];
        InetSocketAddress before = a.address();
        a.close();
        // Something else takes the old port, so that the restarted node surely gets another one.
        ServerSocket squatter = new ServerSocket();
        toClose.add(squatter);
        squatter.setReuseAddress(true);
        squatter.bind(before);

        TestNode restarted = node(TestNode.config("a", 0).withPeers(Map.of(b.id, b.address())));
        assertThat(restarted.address()).isNotEqualTo(before);
        awaitConnected(restarted, b);
        deliver(restarted, b);
        assertThat(b.stats(restarted).address()).isEqualTo(restarted.address());
        answer(b, restarted);
    }

    @Test
    void aPeerListeningOnAllInterfacesIsDialledAtTheAddressItConnectedFrom() {
        TestNode a = node(TestNode.config("a", 0).withListen(new InetSocketAddress(0)));
        TestNode b = node(TestNode.config("b", 0));
        b.transport.acceptUnconfiguredPeers(true);
        // A advertises the wildcard address and its port; it dials B from 127.0.0.1.
        assertThat(a.address().getAddress().isAnyLocalAddress()).isTrue();
        a.transport.updatePeers(Map.of(b.id, b.address()));
        awaitConnected(a, b);
        deliver(a, b);
        assertThat(b.stats(a).address())
                .isEqualTo(new InetSocketAddress("127.0.0.1", a.address().getPort()));
        answer(b, a);
    }
}
