package io.raftkv.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.raftkv.core.Entry;
import io.raftkv.core.NodeId;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.HeartbeatRequest;
import io.raftkv.core.message.HeartbeatResponse;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.VoteRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real transports on 127.0.0.1 with ephemeral ports. Deadlines bound the waits; no assertion depends on timing. */
@Timeout(120)
class NettyRaftTransportTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final List<AutoCloseable> toClose = new ArrayList<>();

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

    private static void awaitConnected(TestNode from, TestNode... to) {
        await().atMost(DEADLINE).until(() -> {
            for (TestNode t : to) {
                if (!from.connectedTo(t)) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void everyMessageTypeTravelsBetweenThreeNodesUnchanged() {
        TestNode a = node(TestNode.config("a", 0));
        TestNode b = node(TestNode.config("b", 0));
        TestNode c = node(TestNode.config("c", 0));
        TestNode.wire(a, b, c);
        awaitConnected(a, b, c);
        awaitConnected(b, a);
        awaitConnected(c, a);

        List<RaftMessage> toB = SampleMessages.oneOfEach(a.id, b.id);
        List<RaftMessage> toC = SampleMessages.oneOfEach(a.id, c.id);
        List<RaftMessage> bToA = SampleMessages.oneOfEach(b.id, a.id);
        List<RaftMessage> cToA = SampleMessages.oneOfEach(c.id, a.id);
        toB.forEach(a.transport::send);
        toC.forEach(a.transport::send);
        bToA.forEach(b.transport::send);
        cToA.forEach(c.transport::send);

        await().atMost(DEADLINE).untilAsserted(() -> {
            assertThat(b.received()).containsExactlyInAnyOrderElementsOf(toB);
            assertThat(c.received()).containsExactlyInAnyOrderElementsOf(toC);
            List<RaftMessage> expectedAtA = new ArrayList<>(bToA);
            expectedAtA.addAll(cToA);
            assertThat(a.received()).containsExactlyInAnyOrderElementsOf(expectedAtA);
        });
        assertThat(a.stats(b).droppedMessages()).isZero();
        assertThat(b.stats(a).droppedMessages()).isZero();
    }

    @Test
    void tenThousandPipelinedAppendsArriveInOrder() {
        TestNode a = node(TestNode.config("a", 0));
        TestNode b = node(TestNode.config("b", 0));
        TestNode.wire(a, b);
        awaitConnected(a, b);

        int count = 10_000;
        List<RaftMessage> sent = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long index = i + 1;
            sent.add(new AppendEntriesRequest(a.id, b.id, 3, index - 1, index == 1 ? 0 : 3,
                    List.of(Entry.command(index, 3, ("cmd-" + index).getBytes())), index - 1));
        }
        sent.forEach(a.transport::send);

        await().atMost(DEADLINE).until(() -> b.receivedCount() >= count);
        assertThat(b.received()).containsExactlyElementsOf(sent);
        assertThat(a.stats(b).droppedMessages()).isZero();
        await().atMost(DEADLINE).until(() -> a.stats(b).queuedBytes() == 0);
    }

    @Test
    void heartbeatOvertakesALargeBulkBacklogToTheSamePeer() {
        int appends = 200;
        byte[] mebibyte = new byte[1024 * 1024];
        for (int i = 0; i < mebibyte.length; i++) {
            mebibyte[i] = (byte) (i * 31);
        }
        // Room for the whole 200 MiB backlog, so that nothing is dropped and the heartbeat competes with all of it.
        TestNode a = node(TestNode.config("a", 0).withLimits(16 * 1024 * 1024, 256L * 1024 * 1024));
        // The receiver keeps only a summary of each append (index and whether the payload arrived intact), not
        // 200 MiB of payloads.
        TestNode b = TestNode.start(TestNode.config("b", 0), m -> m instanceof AppendEntriesRequest r
                ? new AppendEntriesRequest(r.from(), r.to(), r.term(), r.prevLogIndex(), r.prevLogTerm(),
                        r.entries().stream().map(e -> java.util.Arrays.equals(e.data(), mebibyte)
                                ? Entry.noop(e.index(), e.term()) : Entry.command(e.index(), e.term(), new byte[1]))
                                .toList(), r.leaderCommit())
                : m);
        toClose.add(b);
        // The slow follower: B does not read A's bulk connection at all until told to.
        b.transport.pauseReading(a.id, Lane.BULK, true);
        TestNode.wire(a, b);
        awaitConnected(a, b);

        for (int i = 1; i <= appends; i++) {
            a.transport.send(new AppendEntriesRequest(a.id, b.id, 2, i - 1, i == 1 ? 0 : 2,
                    List.of(Entry.command(i, 2, mebibyte)), 0));
        }
        assertThat(a.stats(b).droppedMessages()).isZero();
        HeartbeatRequest heartbeat = new HeartbeatRequest(a.id, b.id, 2, 0, 77);
        a.transport.send(heartbeat);

        await().atMost(DEADLINE).until(() -> b.received().contains(heartbeat));
        // Reading is still paused, so most of the backlog cannot have arrived: the heartbeat overtook it.
        assertThat(b.received(AppendEntriesRequest.class)).hasSizeLessThan(appends);
        assertThat(a.stats(b).queuedBytes()).isGreaterThan(100L * 1024 * 1024);

        b.transport.pauseReading(a.id, Lane.BULK, false);
        await().atMost(DEADLINE).until(() -> b.received(AppendEntriesRequest.class).size() == appends);
        List<RaftMessage> arrivals = b.received();
        List<AppendEntriesRequest> received = b.received(AppendEntriesRequest.class);
        for (int i = 0; i < appends; i++) {
            Entry e = received.get(i).entries().get(0);
            assertThat(e.index()).isEqualTo(i + 1);
            assertThat(e.type()).as("payload of entry %d intact", e.index()).isEqualTo(io.raftkv.core.EntryType.NOOP);
        }
        assertThat(arrivals.indexOf(heartbeat)).isLessThan(arrivals.indexOf(received.get(appends - 1)));
        assertThat(a.stats(b).droppedMessages()).isZero();
    }

    @Test
    void aPeerThatNeverReadsCannotMakeTheSenderQueueWithoutBound() throws Exception {
        long bound = 4L * 1024 * 1024;
        // A "peer" that accepts connections and then never reads a byte.
        ServerSocket sink = new ServerSocket();
        sink.setReceiveBufferSize(64 * 1024);
        sink.bind(new InetSocketAddress("127.0.0.1", 0));
        toClose.add(sink);
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    held.add(sink.accept());
                }
            } catch (IOException closed) {
                // The test is over.
            }
        }, "never-reading-peer");
        acceptor.setDaemon(true);
        acceptor.start();
        toClose.add(() -> {
            for (Socket s : held) {
                s.close();
            }
        });

        NodeId sinkId = NodeId.of("sink");
        TestNode a = node(TestNode.config("a", 0).withLimits(1024 * 1024, bound)
                .withPeers(Map.of(sinkId, (InetSocketAddress) sink.getLocalSocketAddress())));
        await().atMost(DEADLINE).until(() -> a.transport.stats().get(sinkId).connected());

        byte[] payload = new byte[256 * 1024];
        long maxSeen = 0;
        int sends = 2_000; // 500 MiB offered in total
        for (int i = 1; i <= sends; i++) {
            a.transport.send(new AppendEntriesRequest(a.id, sinkId, 1, i - 1, i == 1 ? 0 : 1,
                    List.of(Entry.command(i, 1, payload)), 0));
            maxSeen = Math.max(maxSeen, a.transport.stats().get(sinkId).queuedBytes());
        }
        PeerStats afterBulk = a.transport.stats().get(sinkId);
        assertThat(maxSeen).isLessThanOrEqualTo(bound);
        assertThat(afterBulk.queuedBytes()).isLessThanOrEqualTo(bound);
        // Everything beyond the bound (plus what the kernel buffers took) was dropped and counted.
        assertThat(afterBulk.droppedMessages()).isGreaterThan(sends / 2);

        // The control reserve still admits heartbeats although the bulk share is full.
        for (int i = 0; i < 10; i++) {
            a.transport.send(new HeartbeatRequest(a.id, sinkId, 1, 0, i));
        }
        assertThat(a.transport.stats().get(sinkId).droppedMessages()).isEqualTo(afterBulk.droppedMessages());
        assertThat(a.transport.stats().get(sinkId).queuedBytes()).isLessThanOrEqualTo(bound);
    }

    @Test
    void aFrameOfExactlyTheLimitIsDeliveredAndOneByteMoreIsDroppedBySender() {
        int limit = 64 * 1024;
        TestNode a = node(TestNode.config("a", 0).withLimits(limit, 4L * limit));
        TestNode b = node(TestNode.config("b", 0).withLimits(limit, 4L * limit));
        TestNode.wire(a, b);
        awaitConnected(a, b);
        // wire() configures a before b, so a's first dial may reach b before b knows a and be refused: count
        // rejections from here on only.
        long rejectedBefore = b.transport.rejectedConnections();

        AppendEntriesRequest exact = appendOfEncodedSize(a.id, b.id, limit);
        AppendEntriesRequest tooBig = appendOfEncodedSize(a.id, b.id, limit + 1);
        a.transport.send(tooBig);
        assertThat(a.stats(b).droppedMessages()).isEqualTo(1);
        a.transport.send(exact);
        await().atMost(DEADLINE).until(() -> b.receivedCount() == 1);
        assertThat(b.received()).containsExactly(exact);
        assertThat(b.transport.rejectedConnections()).isEqualTo(rejectedBefore);
    }

    /** An append whose envelope encodes to exactly {@code size} bytes. */
    private static AppendEntriesRequest appendOfEncodedSize(NodeId from, NodeId to, int size) {
        RaftMessageCodec codec = new RaftMessageCodec(TestNode.CLUSTER, from);
        int payload = size;
        for (int attempt = 0; attempt < 10; attempt++) {
            AppendEntriesRequest m = new AppendEntriesRequest(from, to, 1, 0, 0,
                    List.of(Entry.command(1, 1, new byte[payload])), 0);
            int encoded = codec.encode(m).getSerializedSize();
            if (encoded == size) {
                return m;
            }
            payload -= encoded - size;
        }
        throw new AssertionError("no payload length encodes to " + size + " bytes");
    }

    @Test
    void messagesToAnUnreachablePeerAreDroppedWithoutThrowing() throws Exception {
        InetSocketAddress nobody;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            nobody = (InetSocketAddress) s.getLocalSocketAddress();
        }
        NodeId ghost = NodeId.of("ghost");
        TestNode a = node(TestNode.config("a", 0).withPeers(Map.of(ghost, nobody)));
        for (int i = 0; i < 10; i++) {
            a.transport.send(new VoteRequest(a.id, ghost, 2, 0, 0, true, false));
        }
        PeerStats stats = a.transport.stats().get(ghost);
        assertThat(stats.connected()).isFalse();
        assertThat(stats.droppedMessages()).isEqualTo(10);
        assertThat(stats.queuedBytes()).isZero();
        // Unknown destinations are dropped too; only caller bugs throw.
        a.transport.send(new VoteRequest(a.id, NodeId.of("stranger"), 2, 0, 0, true, false));
        assertThatThrownBy(() -> a.transport.send(new VoteRequest(ghost, a.id, 2, 0, 0, true, false)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reconnectsWhenAPeerRestartsOnTheSamePort() {
        TestNode a = node(TestNode.config("a", 0));
        TestNode b = TestNode.start(TestNode.config("b", 0));
        TestNode.wire(a, b);
        awaitConnected(a, b);
        a.transport.send(new HeartbeatRequest(a.id, b.id, 1, 0, 1));
        await().atMost(DEADLINE).until(() -> b.receivedCount() == 1);

        int port = b.address().getPort();
        b.close();
        await().atMost(DEADLINE).until(() -> !a.connectedTo(b));
        // Sends while the peer is down are dropped, not queued for later.
        a.transport.send(new HeartbeatRequest(a.id, b.id, 1, 0, 2));
        assertThat(a.stats(b).droppedMessages()).isPositive();

        TestNode restarted = node(TestNode.config("b", port).withPeers(Map.of(a.id, a.address())));
        awaitConnected(a, restarted);
        awaitConnected(restarted, a);
        HeartbeatRequest afterRestart = new HeartbeatRequest(a.id, restarted.id, 1, 0, 3);
        a.transport.send(afterRestart);
        HeartbeatResponse answer = new HeartbeatResponse(restarted.id, a.id, 1, 3);
        restarted.transport.send(answer);
        await().atMost(DEADLINE).untilAsserted(() -> {
            assertThat(restarted.received()).containsExactly(afterRestart);
            assertThat(a.received()).containsExactly(answer);
        });
    }

    @Test
    void removedPeersAreDisconnectedAndNoLongerAccepted() {
        TestNode a = node(TestNode.config("a", 0));
        TestNode b = node(TestNode.config("b", 0));
        TestNode.wire(a, b);
        awaitConnected(a, b);
        awaitConnected(b, a);

        b.transport.updatePeers(Map.of());
        assertThat(b.transport.stats()).isEmpty();
        // A keeps redialling, and B refuses every attempt now that A is not a member.
        long rejectedBefore = b.transport.rejectedConnections();
        await().atMost(DEADLINE).until(() -> b.transport.rejectedConnections() > rejectedBefore);
        a.transport.send(new HeartbeatRequest(a.id, b.id, 1, 0, 1));
        assertThat(b.received()).isEmpty();
    }
}
