package io.raftkv.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
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
import java.net.SocketAddress;
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
 * handshake timeout; everything after it is checked by {@link RaftMessageCodec}. While
 * {@linkplain #acceptUnconfiguredPeers accepting unconfigured peers}, a Hello from any other node of the cluster
 * is accepted too, and the address it advertises is dialled so that this node can answer. See docs/transport.md
 * for the wire format, limits and failure handling.
 *
 * <p>Thread-safe. {@link #send} may be called from any thread and never blocks.
 */
public final class NettyRaftTransport implements RaftTransport {

    private static final Logger log = LoggerFactory.getLogger(NettyRaftTransport.class);

    /** Accepted connections allowed to wait for their Hello at once; more are closed on arrival. */
    static final int MAX_PENDING_HANDSHAKES = 64;

    /**
     * Unconfigured peers learned from their Hellos at once. More are still accepted but not dialled: a node of the
     * cluster claiming ever new ids must not make this one open connections without bound.
     */
    static final int MAX_LEARNED_PEERS = 64;

    private enum State { NEW, RUNNING, CLOSED }

    private final TransportConfig config;
    private final Consumer<RaftMessage> inbound;
    private final RaftMessageCodec codec;
    private final ReconnectBackoff backoff;
    private final InboundConnections inboundConnections = new InboundConnections(MAX_PENDING_HANDSHAKES);
    private final ConcurrentMap<NodeId, PeerLink> peers = new ConcurrentHashMap<>();
    /**
     * Guards the lifecycle and the peer set. Also taken on I/O threads (when a Hello teaches an address), so no
     * holder may wait for an I/O thread.
     */
    private final Object lifecycle = new Object();

    /** Read on I/O threads for every Hello and message; written under {@code lifecycle}. */
    private volatile boolean acceptUnconfigured;

    // Guarded by `lifecycle`; read without it only after start() published them through `state`.
    private volatile State state = State.NEW;
    /** The configured peers, as given at construction or by the last updatePeers. */
    private Map<NodeId, InetSocketAddress> wantedPeers;
    /** Unconfigured peers whose address came from their Hello; empty unless acceptUnconfigured. */
    private final Map<NodeId, InetSocketAddress> learnedPeers = new HashMap<>();
    /** This node's bound address, announced in every Hello it sends. */
    private InetSocketAddress advertised;
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
                                    .addLast("inbound", new InboundConnectionHandler(codec,
                                            NettyRaftTransport.this::isKnownPeer, NettyRaftTransport.this::learnPeer,
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
            advertised = (InetSocketAddress) serverChannel.localAddress();
            clientBootstrap = new Bootstrap()
                    .channel(NioSocketChannel.class)
                    // Batching happens in OutboundLane (one flush per drain); Nagle would only add latency.
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                            (int) Math.min(Integer.MAX_VALUE, config.handshakeTimeout().toMillis()));
            state = State.RUNNING;
            log.info("Raft transport of {} listening on {}", config.self(), serverChannel.localAddress());
            applyPeers();
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
            // A configured address wins over a learned one, and the learned one is forgotten: if the peer is
            // removed from the configuration later, it is gone until a new Hello teaches its address again.
            learnedPeers.keySet().removeAll(copy.keySet());
            if (state == State.RUNNING) {
                applyPeers();
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Needed by a node that is not yet a member of any configuration (an idle node waiting to be added, a node
     * joining with {@code --join}): the leader that adds it is not among its peers, so without this the node
     * would refuse the leader's connections, and it could not answer anyway, having no address to dial. A Hello
     * from another cluster, of another protocol version or claiming this node's id is refused as always. While
     * on, a peer that {@link #updatePeers} removes is disconnected but may come back like any unconfigured node.
     */
    @Override
    public void acceptUnconfiguredPeers(boolean accept) {
        synchronized (lifecycle) {
            if (acceptUnconfigured == accept) {
                return;
            }
            acceptUnconfigured = accept;
            log.info("Raft transport of {} {} Hellos from unconfigured peers", config.self(),
                    accept ? "now accepts" : "no longer accepts");
            if (!accept) {
                learnedPeers.clear();
                if (state == State.RUNNING) {
                    applyPeers();
                    // Also the unconfigured peers accepted without a usable address, which had no link to drop.
                    inboundConnections.closeFrom(id -> !peers.containsKey(id));
                }
            }
        }
    }

    /** Whether a Hello or message from {@code id} is accepted. Any thread. */
    private boolean isKnownPeer(NodeId id) {
        return acceptUnconfigured || peers.containsKey(id);
    }

    /**
     * Called on an I/O thread for every accepted Hello, before any message on its connection is delivered: while
     * accepting unconfigured peers, dials an unconfigured peer back at the address it advertised, so that
     * {@link #send} can answer its first message.
     */
    private void learnPeer(RaftMessageCodec.Handshake handshake, SocketAddress remote) {
        // Cheap checks first, without the lock: this runs for every accepted connection.
        if (!acceptUnconfigured || handshake.address() == null) {
            return;
        }
        NodeId id = handshake.peer();
        InetSocketAddress address = dialable(handshake.address(), remote);
        PeerLink current = peers.get(id);
        if (current != null && current.address().equals(address)) {
            return; // the usual case: the second lane, or a reconnection
        }
        synchronized (lifecycle) {
            if (state != State.RUNNING || !acceptUnconfigured || wantedPeers.containsKey(id)) {
                return; // a configured address wins over an advertised one
            }
            InetSocketAddress previous = learnedPeers.get(id);
            if (address.equals(previous)) {
                return;
            }
            if (previous == null && learnedPeers.size() >= MAX_LEARNED_PEERS) {
                log.warn("Not dialling unconfigured peer {} at {}: already {} learned peers; it can send to this "
                        + "node but not be answered", id, address, MAX_LEARNED_PEERS);
                return;
            }
            learnedPeers.put(id, address);
            if (previous == null) {
                log.info("Learned unconfigured peer {} at {} from its Hello", id, address);
            } else {
                // Typically the node restarted on another port; the old link would dial in vain.
                log.info("Unconfigured peer {} moved from {} to {}", id, previous, address);
            }
            applyPeers();
        }
    }

    /**
     * The address to dial for one a peer advertised. A peer listening on all interfaces advertises the wildcard
     * address, which means nothing here: the address it connected from is then the best guess of where it is.
     */
    private static InetSocketAddress dialable(InetSocketAddress advertisedByPeer, SocketAddress remote) {
        if (advertisedByPeer.getAddress() != null && advertisedByPeer.getAddress().isAnyLocalAddress()
                && remote instanceof InetSocketAddress from && from.getAddress() != null) {
            return new InetSocketAddress(from.getAddress(), advertisedByPeer.getPort());
        }
        return advertisedByPeer;
    }

    /**
     * Brings the links in line with the configured peers plus the learned ones (a configured address winning).
     * Called under {@code lifecycle}.
     */
    private void applyPeers() {
        Map<NodeId, InetSocketAddress> others = new HashMap<>(learnedPeers);
        others.putAll(wantedPeers);
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
        inboundConnections.closeFrom(removed::contains);
        others.forEach((id, address) -> peers.computeIfAbsent(id, key -> {
            PeerLink link = new PeerLink(key, address, advertised, config.maxQueuedBytesPerPeer(), group,
                    clientBootstrap, channels, codec, backoff, config.reconnectMax());
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
        ChannelGroupFuture closing;
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
            learnedPeers.clear();
            closing = channels.close();
            toShutDown = group;
        }
        // Explicitly, and waiting for it: peers must see these connections end (FIN) when this returns, so a
        // restarted node can take over the port and its peers redial promptly. Outside the lock, because the
        // channels close on the I/O threads, and one of them may be waiting for the lock (learnPeer).
        closing.awaitUninterruptibly(10, TimeUnit.SECONDS);
        toShutDown.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        log.info("Raft transport of {} closed", config.self());
    }
}
