package io.raftkv.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.raftkv.core.NodeId;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.transport.proto.Envelope;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RaftTransport} over TCP with Netty.
 *
 * <p>Connection model: this node dials two connections to every peer, a control lane and a bulk lane (see
 * {@link Lane}), and only ever writes on them; the peer dials its own two to answer. Each accepted connection
 * must start with a Hello naming a configured peer of the same cluster and protocol version, within the
 * handshake timeout; everything after it is checked by {@link RaftMessageCodec}. See docs/transport.md for the
 * wire format, limits and failure handling.
 *
 * <p>Thread-safe. {@link #send} may be called from any thread and never blocks.
 */
public final class NettyRaftTransport implements RaftTransport {

    private static final Logger log = LoggerFactory.getLogger(NettyRaftTransport.class);

    /** Accepted connections allowed to wait for their Hello at once; more are closed on arrival. */
    static final int MAX_PENDING_HANDSHAKES = 64;

    private enum State { NEW, RUNNING, CLOSED }

    private final TransportConfig config;
    private final Consumer<RaftMessage> inbound;
    private final RaftMessageCodec codec;
    private final ReconnectBackoff backoff;
    private final InboundConnections inboundConnections = new InboundConnections(MAX_PENDING_HANDSHAKES);
    private final ConcurrentMap<NodeId, PeerLink> peers = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();

    // Guarded by `lifecycle`; read without it only after start() published them through `state`.
    private volatile State state = State.NEW;
    private Map<NodeId, InetSocketAddress> wantedPeers;
    private EventLoopGroup group;
    /** Every open channel (listening, accepted, dialled), so that close() can close them all and wait. */
    private ChannelGroup channels;
    private Channel serverChannel;
    private Bootstrap clientBootstrap;

    /**
     * @param config  addresses, identity and limits
     * @param inbound receives every valid inbound message, on I/O threads; must not block
     * @param random  jitter for reconnection delays; pass a seeded one for reproducible runs
     */
    public NettyRaftTransport(TransportConfig config, Consumer<RaftMessage> inbound, Random random) {
        this.config = Objects.requireNonNull(config, "config");
        this.inbound = Objects.requireNonNull(inbound, "inbound");
        this.codec = new RaftMessageCodec(config.clusterId(), config.self());
        this.backoff = new ReconnectBackoff(config.reconnectMin(), config.reconnectMax(), random);
        this.wantedPeers = config.peers();
    }

    @Override
    public void start() {
        synchronized (lifecycle) {
            if (state != State.NEW) {
                throw new IllegalStateException("transport of " + config.self() + " is " + state);
            }
            group = new MultiThreadIoEventLoopGroup(config.ioThreads(),
                    new DefaultThreadFactory("raft-transport-" + config.self(), true), NioIoHandler.newFactory());
            channels = new DefaultChannelGroup("raft-transport-" + config.self(), group.next());
            ServerBootstrap server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    // Lets a restarted node rebind its port while old connections linger in TIME_WAIT.
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            channels.add(ch);
                            FrameDecoder frames = new FrameDecoder(config.maxFrameBytes());
                            ch.pipeline()
                                    .addLast("frames", frames)
                                    .addLast("inbound", new InboundConnectionHandler(codec, peers::containsKey,
                                            inbound, inboundConnections, frames, config.handshakeTimeout()));
                        }
                    });
            ChannelFuture bound = server.bind(config.listen()).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                state = State.CLOSED;
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                throw new IllegalStateException("cannot listen on " + config.listen(), bound.cause());
            }
            serverChannel = bound.channel();
            channels.add(serverChannel);
            clientBootstrap = new Bootstrap()
                    .channel(NioSocketChannel.class)
                    // Batching happens in OutboundLane (one flush per drain); Nagle would only add latency.
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                            (int) Math.min(Integer.MAX_VALUE, config.handshakeTimeout().toMillis()));
            state = State.RUNNING;
            log.info("Raft transport of {} listening on {}", config.self(), serverChannel.localAddress());
            applyPeers(wantedPeers);
        }
    }

    @Override
    public void send(RaftMessage message) {
        Objects.requireNonNull(message, "message");
        if (!message.from().equals(config.self())) {
            throw new IllegalArgumentException("message from " + message.from() + " sent through the transport of "
                    + config.self());
        }
        if (message.to().equals(config.self())) {
            throw new IllegalArgumentException("message to self: " + message.getClass().getSimpleName());
        }
        PeerLink link = peers.get(message.to());
        if (link == null) {
            // Not started, closed, or the destination left the configuration: Raft copes with the loss.
            log.debug("Dropping {} to {}: not a connected peer", message.getClass().getSimpleName(), message.to());
            return;
        }
        Envelope envelope = codec.encode(message);
        int size = envelope.getSerializedSize();
        if (size > config.maxFrameBytes()) {
            // The peer would close the connection on it; the core's message size limits must be below this.
            link.countDropped(1);
            log.warn("Dropping {} to {}: {} bytes exceed the frame limit of {}", message.getClass().getSimpleName(),
                    message.to(), size, config.maxFrameBytes());
            return;
        }
        link.send(envelope, size + FrameEncoder.LENGTH_PREFIX_BYTES, Lane.of(message));
    }

    @Override
    public void updatePeers(Map<NodeId, InetSocketAddress> newPeers) {
        Map<NodeId, InetSocketAddress> copy = Map.copyOf(newPeers);
        synchronized (lifecycle) {
            wantedPeers = copy;
            if (state == State.RUNNING) {
                applyPeers(copy);
            }
        }
    }

    /** Brings the links in line with {@code wanted}. Called under {@code lifecycle}. */
    private void applyPeers(Map<NodeId, InetSocketAddress> wanted) {
        Map<NodeId, InetSocketAddress> others = new HashMap<>(wanted);
        others.remove(config.self());
        List<NodeId> removed = new ArrayList<>();
        for (PeerLink link : List.copyOf(peers.values())) {
            InetSocketAddress address = others.get(link.id());
            if (address == null || !address.equals(link.address())) {
                peers.remove(link.id());
                link.close();
                if (address == null) {
                    removed.add(link.id());
                }
            }
        }
        inboundConnections.closeFrom(removed);
        others.forEach((id, address) -> peers.computeIfAbsent(id, key -> {
            PeerLink link = new PeerLink(key, address, config.maxQueuedBytesPerPeer(), group, clientBootstrap,
                    channels, codec, backoff, config.reconnectMax());
            link.start();
            return link;
        }));
    }

    @Override
    public InetSocketAddress localAddress() {
        Channel server;
        synchronized (lifecycle) {
            server = serverChannel;
        }
        if (server == null) {
            throw new IllegalStateException("transport of " + config.self() + " is not listening");
        }
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public Map<NodeId, PeerStats> stats() {
        Map<NodeId, PeerStats> stats = new TreeMap<>();
        peers.forEach((id, link) -> stats.put(id, link.stats()));
        return stats;
    }

    /** Connections refused since start: bad framing, bad Hello, malformed or misattributed messages, timeouts. */
    public long rejectedConnections() {
        return inboundConnections.rejectedCount();
    }

    /**
     * Stops (or resumes) reading {@code peer}'s {@code lane} connection, including one it opens later. Inbound
     * flow control for a runtime that cannot keep up: TCP then pushes back on the sender, whose queue for this
     * node fills and starts dropping. Pausing only the bulk lane keeps heartbeats and votes flowing.
     */
    public void pauseReading(NodeId peer, Lane lane, boolean paused) {
        inboundConnections.setPaused(peer, lane, paused);
    }

    @Override
    public void close() {
        EventLoopGroup toShutDown;
        synchronized (lifecycle) {
            if (state == State.CLOSED) {
                return;
            }
            boolean running = state == State.RUNNING;
            if (running) {
                for (EventExecutor executor : group) {
                    if (executor.inEventLoop()) {
                        throw new IllegalStateException("close() called from an I/O thread of the transport");
                    }
                }
            }
            state = State.CLOSED;
            if (!running) {
                return;
            }
            peers.values().forEach(PeerLink::close);
            peers.clear();
            // Explicitly, and waiting for it: peers must see these connections end (FIN) when this returns, so a
            // restarted node can take over the port and its peers redial promptly.
            channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            toShutDown = group;
        }
        toShutDown.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        log.info("Raft transport of {} closed", config.self());
    }
}
