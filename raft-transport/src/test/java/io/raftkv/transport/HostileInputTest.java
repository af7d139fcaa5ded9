package io.raftkv.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.raftkv.core.NodeId;
import io.raftkv.core.message.HeartbeatRequest;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.transport.proto.Envelope;
import io.raftkv.transport.proto.Hello;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Raw sockets throw malformed and hostile input at a node's peer port. Each case must end with the server closing
 * that connection (or, where the client hangs up first, simply coping), nothing hostile delivered, and the server
 * still serving a well-behaved peer afterwards. One server survives all the cases in turn.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class HostileInputTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Duration POLL = Duration.ofMillis(10);
    private static final int MAX_FRAME = 1024 * 1024;
    /** Hostile messages carry this term so that a delivery of one would stand out. */
    private static final long EVIL_TERM = 666;

    private static final NodeId A = NodeId.of("a");
    private static final NodeId B = NodeId.of("b");
    private static final NodeId C = NodeId.of("c");
    /** Not running: tests that learn a peer's address must not find anything listening there. */
    private static final NodeId D = NodeId.of("d");
    /** What the raw-socket clients advertise in their Hellos; nothing listens there. */
    private static final InetSocketAddress A_ADDRESS = new InetSocketAddress("127.0.0.1", 9);
    private static final InetSocketAddress C_ADDRESS = new InetSocketAddress("127.0.0.1", 9);

    private TestNode server;
    private TestNode goodPeer;
    private final AtomicLong round = new AtomicLong();
    /** Who may have delivered messages: the configured peers, and the unconfigured ones tests let in on purpose. */
    private final Set<NodeId> legitimateSenders = ConcurrentHashMap.newKeySet();
    private final RaftMessageCodec asA = new RaftMessageCodec(TestNode.CLUSTER, A);

    @BeforeAll
    void startServerAndAWellBehavedPeer() {
        // C is a configured member that is not running: its id is known, but nobody authenticated as it.
        server = TestNode.start(TestNode.config("b", 0)
                .withLimits(MAX_FRAME, 4L * MAX_FRAME)
                .withHandshakeTimeout(Duration.ofSeconds(1)));
        goodPeer = TestNode.start(TestNode.config("a", 0));
        server.transport.updatePeers(Map.of(A, goodPeer.address(), C, new InetSocketAddress("127.0.0.1", 9)));
        goodPeer.transport.updatePeers(Map.of(B, server.address()));
        legitimateSenders.addAll(List.of(A, C));
    }

    @AfterAll
    void stop() {
        goodPeer.close();
        server.close();
    }

    @AfterEach
    void serverStillServesAWellBehavedPeerAndDeliveredNothingHostile() {
        HeartbeatRequest probe = new HeartbeatRequest(A, B, 1, 0, round.incrementAndGet());
        await().atMost(DEADLINE).pollInterval(POLL).untilAsserted(() -> {
            // Resent until it arrives: the first ones may be dropped while the good peer (re)connects.
            goodPeer.transport.send(probe);
            assertThat(server.received()).contains(probe);
        });
        assertThat(server.received()).allSatisfy(m -> {
            assertThat(m.term()).isNotEqualTo(EVIL_TERM);
            assertThat(m.from()).isIn(legitimateSenders);
        });
    }

    // ------------------------------------------------------------------------------------------- the cases

    @Test
    void httpRequestOnThePeerPort() throws IOException {
        assertRejected(s -> write(s, "GET / HTTP/1.1\r\nHost: raft\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void randomGarbageBehindASmallLengthPrefix() throws IOException {
        Random random = new Random(1234);
        for (int i = 0; i < 20; i++) {
            byte[] garbage = new byte[1 + random.nextInt(500)];
            random.nextBytes(garbage);
            assertRejected(s -> write(s, frame(garbage)));
        }
    }

    @Test
    void oversizedAndNegativeLengthPrefixes() throws IOException {
        assertRejected(s -> write(s, new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertRejected(s -> write(s, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        // A first frame above the Hello limit is refused on its prefix, before it is buffered.
        assertRejected(s -> write(s, lengthPrefix(RaftMessageCodec.MAX_HELLO_BYTES + 1)));
    }

    @Test
    void oversizedFrameAfterAValidHello() throws IOException {
        assertRejected(s -> {
            write(s, frame(asA.hello(Lane.BULK, A_ADDRESS)));
            write(s, lengthPrefix(MAX_FRAME + 1));
            write(s, new byte[64 * 1024]);
        });
    }

    @Test
    void truncatedFramesThenHangUpDoNotLeakHandshakeSlots() throws IOException {
        // More abandoned half-handshakes than the server allows at once: if their slots leaked, the good peer
        // (and the next tests) could not get in.
        for (int i = 0; i < NettyRaftTransport.MAX_PENDING_HANDSHAKES + 20; i++) {
            try (Socket s = connect()) {
                write(s, lengthPrefix(100));
                write(s, new byte[10]);
            }
        }
        // A newcomer still gets in (retried: the server may not have seen every hang-up yet).
        HeartbeatRequest newcomer = new HeartbeatRequest(A, B, 1, 0, 2_000_000);
        await().atMost(DEADLINE).untilAsserted(() -> {
            sendOverRawSocket(newcomer);
            assertThat(server.received()).contains(newcomer);
        });
    }

    @Test
    void silentClientIsDisconnectedAfterTheHandshakeTimeout() throws IOException {
        assertRejected(s -> { });
    }

    @Test
    void validMessageWithoutHello() throws IOException {
        assertRejected(s -> write(s, frame(asA.encode(new VoteRequest(A, B, EVIL_TERM, 0, 0, false, false)))));
    }

    @Test
    void hellosThatMustBeRefused() throws IOException {
        List<UnaryOperator<Hello.Builder>> bad = List.of(
                h -> h.setClusterId("another-cluster"),
                h -> h.setNodeId("mallory"),
                h -> h.setNodeId("bad id\n"),
                h -> h.setNodeId("b"),
                h -> h.setVersion(RaftMessageCodec.PROTOCOL_VERSION + 1),
                h -> h.setLaneValue(0));
        for (UnaryOperator<Hello.Builder> edit : bad) {
            Envelope valid = asA.hello(Lane.CONTROL, A_ADDRESS);
            Envelope hello = valid.toBuilder().setHello(edit.apply(valid.getHello().toBuilder())).build();
            assertRejected(s -> {
                write(s, frame(hello));
                // Whatever follows a refused Hello is never delivered.
                write(s, frame(asA.encode(new HeartbeatRequest(A, B, EVIL_TERM, 0, 0))));
            });
        }
    }

    @Test
    void aHostileAdvertisedAddressIsIgnoredNotFatal() throws IOException {
        // The address is only a hint for dialling back; a configured peer is dialled at its configured address.
        List<String> hostile = List.of("b:7000\nWARN forged log line", "x".repeat(900), "[::1]:0", "%s:%n");
        for (String address : hostile) {
            Envelope valid = asA.hello(Lane.CONTROL, A_ADDRESS);
            Envelope hello = valid.toBuilder().setHello(valid.getHello().toBuilder().setAddress(address)).build();
            HeartbeatRequest fine = new HeartbeatRequest(A, B, 1, 0, 4_000_000 + address.length());
            try (Socket s = connect()) {
                write(s, frame(hello));
                write(s, frame(asA.encode(fine)));
                await().atMost(DEADLINE).pollInterval(POLL).until(() -> server.received().contains(fine));
            }
        }
        assertThat(server.transport.stats().get(A).address()).isEqualTo(goodPeer.address());
    }

    @Test
    void acceptingUnconfiguredPeersStillRefusesOtherClustersOwnIdAndBadHellos() throws IOException {
        server.transport.acceptUnconfiguredPeers(true);
        try {
            RaftMessageCodec asD = new RaftMessageCodec(TestNode.CLUSTER, D);
            List<UnaryOperator<Hello.Builder>> bad = List.of(
                    h -> h.setClusterId("another-cluster"),
                    h -> h.setNodeId("b"),
                    h -> h.setNodeId("bad id\n"),
                    h -> h.setVersion(RaftMessageCodec.PROTOCOL_VERSION + 1),
                    h -> h.setLaneValue(0));
            for (UnaryOperator<Hello.Builder> edit : bad) {
                Envelope valid = asD.hello(Lane.CONTROL, A_ADDRESS);
                Envelope hello = valid.toBuilder().setHello(edit.apply(valid.getHello().toBuilder())).build();
                assertRejected(s -> {
                    write(s, frame(hello));
                    write(s, frame(asD.encode(new HeartbeatRequest(D, B, EVIL_TERM, 0, 0))));
                });
            }
            // Another cluster's envelope around a hello of ours is refused too.
            Envelope wrongEnvelope = asD.hello(Lane.CONTROL, A_ADDRESS).toBuilder().setClusterId("another").build();
            assertRejected(s -> write(s, frame(wrongEnvelope)));
            assertThat(server.transport.stats()).doesNotContainKey(D);
        } finally {
            server.transport.acceptUnconfiguredPeers(false);
        }
    }

    @Test
    void anUnconfiguredPeerWithAnUnusableAddressIsAcceptedButNotDialled() throws IOException {
        server.transport.acceptUnconfiguredPeers(true);
        legitimateSenders.add(D);
        RaftMessageCodec asD = new RaftMessageCodec(TestNode.CLUSTER, D);
        Envelope valid = asD.hello(Lane.CONTROL, A_ADDRESS);
        Envelope hello = valid.toBuilder().setHello(valid.getHello().toBuilder().setAddress("d:0")).build();
        HeartbeatRequest fromD = new HeartbeatRequest(D, B, 1, 0, 5_000_000);
        try (Socket s = connect()) {
            try {
                write(s, frame(hello));
                write(s, frame(asD.encode(fromD)));
                await().atMost(DEADLINE).pollInterval(POLL).until(() -> server.received().contains(fromD));
                assertThat(server.transport.stats()).doesNotContainKey(D);
            } finally {
                server.transport.acceptUnconfiguredPeers(false);
            }
            // Switching the mode off disconnects the peers it let in.
            assertClosedByServer(s);
        }
    }

    @Test
    void learnedPeersAreBounded() throws IOException {
        server.transport.acceptUnconfiguredPeers(true);
        List<Socket> sockets = new java.util.ArrayList<>();
        try {
            // Every one advertises the discard port, where nothing listens: the server dials in vain.
            for (int i = 0; i < NettyRaftTransport.MAX_LEARNED_PEERS; i++) {
                Socket s = connect();
                sockets.add(s);
                write(s, frame(new RaftMessageCodec(TestNode.CLUSTER, NodeId.of("new-" + i))
                        .hello(Lane.CONTROL, A_ADDRESS)));
            }
            int configured = 2; // A and C
            await().atMost(DEADLINE).pollInterval(POLL)
                    .until(() -> server.transport.stats().size() == configured + NettyRaftTransport.MAX_LEARNED_PEERS);
            // One more is accepted, and its messages delivered, but it is not dialled.
            NodeId oneTooMany = NodeId.of("new-" + NettyRaftTransport.MAX_LEARNED_PEERS);
            legitimateSenders.add(oneTooMany);
            RaftMessageCodec asIt = new RaftMessageCodec(TestNode.CLUSTER, oneTooMany);
            HeartbeatRequest fromIt = new HeartbeatRequest(oneTooMany, B, 1, 0, 6_000_000);
            Socket s = connect();
            sockets.add(s);
            write(s, frame(asIt.hello(Lane.CONTROL, A_ADDRESS)));
            write(s, frame(asIt.encode(fromIt)));
            await().atMost(DEADLINE).pollInterval(POLL).until(() -> server.received().contains(fromIt));
            assertThat(server.transport.stats()).doesNotContainKey(oneTooMany)
                    .hasSize(configured + NettyRaftTransport.MAX_LEARNED_PEERS);
        } finally {
            server.transport.acceptUnconfiguredPeers(false);
            for (Socket s : sockets) {
                s.close();
            }
        }
        assertThat(server.transport.stats()).containsOnlyKeys(A, C);
    }

    @Test
    void messageFromAnotherNodeThanTheAuthenticatedOne() throws IOException {
        RaftMessageCodec asC = new RaftMessageCodec(TestNode.CLUSTER, C);
        assertRejected(s -> {
            write(s, frame(asA.hello(Lane.CONTROL, A_ADDRESS)));
            write(s, frame(asC.encode(new VoteRequest(C, B, EVIL_TERM, 0, 0, false, false))));
        });
    }

    @Test
    void messageAddressedToAnotherNode() throws IOException {
        assertRejected(s -> {
            write(s, frame(asA.hello(Lane.CONTROL, A_ADDRESS)));
            write(s, frame(asA.encode(new VoteRequest(A, C, EVIL_TERM, 0, 0, false, false))));
        });
    }

    @Test
    void envelopeWhoseInnerLengthLies() throws IOException {
        // Field 12 (append_entries_request), length-delimited, claiming 2^31 - 1 bytes in a 6-byte frame.
        byte[] lying = {0x62, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
        assertRejected(s -> {
            write(s, frame(asA.hello(Lane.BULK, A_ADDRESS)));
            write(s, frame(lying));
        });
    }

    @Test
    void secondHelloOnTheSameConnection() throws IOException {
        assertRejected(s -> {
            write(s, frame(asA.hello(Lane.CONTROL, A_ADDRESS)));
            write(s, frame(asA.hello(Lane.CONTROL, A_ADDRESS)));
        });
    }

    @Test
    void aPeerCannotPileUpConnectionsOfOneLane() throws IOException {
        // Each new connection of (c, BULK) replaces the previous one, so an authenticated peer can make the
        // server hold at most one partial frame per lane. (As C, which is not running: the good peer's own
        // connections would replace ours as A.)
        RaftMessageCodec asC = new RaftMessageCodec(TestNode.CLUSTER, C);
        try (Socket first = connect(); Socket second = connect()) {
            HeartbeatRequest viaFirst = new HeartbeatRequest(C, B, 1, 0, 3_000_001);
            write(first, frame(asC.hello(Lane.BULK, C_ADDRESS)));
            write(first, frame(asC.encode(viaFirst)));
            await().atMost(DEADLINE).pollInterval(POLL).until(() -> server.received().contains(viaFirst));
            // Half a maximal frame, buffered by the server...
            write(first, lengthPrefix(MAX_FRAME));
            write(first, new byte[MAX_FRAME / 2]);
            // ...until the same peer and lane connects again.
            write(second, frame(asC.hello(Lane.BULK, C_ADDRESS)));
            assertClosedByServer(first);
            HeartbeatRequest viaSecond = new HeartbeatRequest(C, B, 1, 0, 3_000_002);
            write(second, frame(asC.encode(viaSecond)));
            await().atMost(DEADLINE).pollInterval(POLL).until(() -> server.received().contains(viaSecond));
        }
    }

    @Test
    void validHandshakeAndMessageOverARawSocketIsDelivered() throws IOException {
        // The control case: the same raw-socket machinery with nothing wrong is accepted.
        HeartbeatRequest fine = new HeartbeatRequest(A, B, 1, 0, 1_000_000);
        sendOverRawSocket(fine);
        await().atMost(DEADLINE).until(() -> server.received().contains(fine));
    }

    // ------------------------------------------------------------------------------------------- helpers

    private interface SocketAction {
        void run(Socket socket) throws IOException;
    }

    /** Connects, runs {@code action}, and asserts that the server counts a rejection and closes the connection. */
    private void assertRejected(SocketAction action) throws IOException {
        long rejectedBefore = server.transport.rejectedConnections();
        try (Socket s = connect()) {
            try {
                action.run(s);
            } catch (SocketException e) {
                // The server may already have closed the connection while the client was still writing.
            }
            assertClosedByServer(s);
        }
        await().atMost(DEADLINE).pollInterval(POLL).until(() -> server.transport.rejectedConnections() > rejectedBefore);
    }

    /** Handshakes as A and sends {@code message}, then hangs up (data before the hang-up is still delivered). */
    private void sendOverRawSocket(RaftMessage message) throws IOException {
        try (Socket s = connect()) {
            write(s, frame(asA.hello(Lane.CONTROL, A_ADDRESS)));
            write(s, frame(asA.encode(message)));
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(server.address(), 5_000);
        // A deadline, not a measurement: a server that never closes fails the test instead of hanging it.
        s.setSoTimeout((int) DEADLINE.toMillis());
        return s;
    }

    private static void assertClosedByServer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buffer = new byte[4096];
        try {
            while (in.read(buffer) >= 0) {
                // The server never writes on an accepted connection; read until it closes.
            }
        } catch (SocketTimeoutException e) {
            fail("the server did not close the connection within " + DEADLINE);
        } catch (SocketException e) {
            // Reset by the server (it closed with our unread bytes pending): closed as well.
        }
    }

    private static void write(Socket s, byte[] bytes) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(bytes);
        out.flush();
    }

    private static byte[] lengthPrefix(long length) {
        return new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }

    private static byte[] frame(Envelope env) {
        return frame(env.toByteArray());
    }

    private static byte[] frame(byte[] payload) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(payload.length);
            out.write(payload);
        } catch (IOException impossible) {
            throw new AssertionError(impossible);
        }
        return bytes.toByteArray();
    }

}
