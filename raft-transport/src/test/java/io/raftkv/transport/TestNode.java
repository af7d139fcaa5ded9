package io.raftkv.transport;

import io.raftkv.core.NodeId;
import io.raftkv.core.message.RaftMessage;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/** A started transport on 127.0.0.1 that records what it receives, in arrival order. */
final class TestNode implements AutoCloseable {

    static final String CLUSTER = "test-cluster";

    final NodeId id;
    final NettyRaftTransport transport;
    private final ConcurrentLinkedQueue<RaftMessage> received = new ConcurrentLinkedQueue<>();

    private TestNode(NodeId id, TransportConfig config, UnaryOperator<RaftMessage> retain) {
        this.id = id;
        this.transport = new NettyRaftTransport(config, m -> received.add(retain.apply(m)), new Random(42));
        transport.start();
    }

    /** Test timings: quick reconnects, one I/O thread (the machine has few cores). */
    static TransportConfig config(String id, int port) {
        return config(id, port, CLUSTER);
    }

    /** As {@link #config(String, int)}, for a node of another cluster. */
    static TransportConfig config(String id, int port, String cluster) {
        return TransportConfig.of(NodeId.of(id), cluster, new InetSocketAddress("127.0.0.1", port), Map.of())
                .withReconnect(Duration.ofMillis(20), Duration.ofMillis(200))
                .withIoThreads(1);
    }

    static TestNode start(String id) {
        return start(config(id, 0), UnaryOperator.identity());
    }

    static TestNode start(TransportConfig config) {
        return start(config, UnaryOperator.identity());
    }

    static TestNode start(TransportConfig config, UnaryOperator<RaftMessage> retain) {
        return new TestNode(config.self(), config, retain);
    }

    /** Tells every node the actual (ephemeral) addresses of all the others. */
    static void wire(TestNode... nodes) {
        Map<NodeId, InetSocketAddress> addresses = new HashMap<>();
        for (TestNode n : nodes) {
            addresses.put(n.id, n.address());
        }
        for (TestNode n : nodes) {
            n.transport.updatePeers(addresses);
        }
    }

    InetSocketAddress address() {
        return transport.localAddress();
    }

    PeerStats stats(TestNode peer) {
        return transport.stats().get(peer.id);
    }

    boolean connectedTo(TestNode peer) {
        PeerStats s = transport.stats().get(peer.id);
        return s != null && s.connected();
    }

    List<RaftMessage> received() {
        return new ArrayList<>(received);
    }

    <T extends RaftMessage> List<T> received(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (RaftMessage m : received) {
            if (type.isInstance(m)) {
                out.add(type.cast(m));
            }
        }
        return out;
    }

    int receivedCount() {
        return received.size();
    }

    <R> List<R> receivedAs(Function<RaftMessage, R> f) {
        List<R> out = new ArrayList<>();
        received.forEach(m -> out.add(f.apply(m)));
        return out;
    }

    @Override
    public void close() {
        transport.close();
    }
}
