package io.raftkv.kv.server.protocol;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.net.ConnectionLimitedListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client protocol of one node (see {@code docs/client-protocol.md} and {@code kv.proto}), on Netty:
 * length-prefixed Protocol Buffers frames, many requests in flight per connection, responses matched by id.
 *
 * <p>Everything a client controls is bounded: connections, frame size (an oversized length prefix closes the
 * connection before any of the frame is buffered), requests in flight per connection (beyond it the server stops
 * reading from that socket), the time a request waits for the cluster. A frame that is not a valid request
 * closes the connection with a warning naming the peer; a valid frame with a bad request gets a BAD_REQUEST
 * response and the connection stays open. The event loop never blocks: requests only start work in {@link KvService}
 * (which reads RocksDB on its own read executor) and responses are written when the service's future completes.
 */
public final class ClientProtocolServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientProtocolServer.class);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);
    /** Flushes folded into one while a read is in progress (see {@link FlushConsolidationHandler}). */
    private static final int FLUSHES_TO_CONSOLIDATE = 256;

    /**
     * Settings of the client-protocol server.
     *
     * @param requestTimeout    how long a request that sets no timeout may wait for a leader and quorum
     *                          (default 5 s)
     * @param maxRequestTimeout the most a request may ask for; longer timeouts are cut to it (default 60 s)
     * @param maxFrameBytes     largest frame, length prefix included, in either direction (default
     *                          {@link ClientProtocol#DEFAULT_MAX_FRAME_BYTES}); a longer request closes the
     *                          connection, a longer response is replaced by a TOO_LARGE error
     * @param maxInFlight       requests served at once per connection before the server stops reading from it
     *                          (default 1024)
     * @param maxConnections    open connections beyond which new ones are closed at once (default 1024)
     * @param retryAfter        the pause suggested with UNAVAILABLE, OVERLOADED and a NOT_LEADER that names no
     *                          leader (default 100 ms)
     */
    public record Options(Duration requestTimeout, Duration maxRequestTimeout, int maxFrameBytes, int maxInFlight,
                          int maxConnections, Duration retryAfter) {

        public Options {
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            Objects.requireNonNull(maxRequestTimeout, "maxRequestTimeout");
            Objects.requireNonNull(retryAfter, "retryAfter");
            if (requestTimeout.isNegative() || requestTimeout.isZero() || maxRequestTimeout.compareTo(requestTimeout) < 0) {
                throw new IllegalArgumentException("timeouts must be positive, the maximum at least the default");
            }
            if (retryAfter.isNegative() || retryAfter.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("retryAfter must be 0 to 2^31-1 ms, got " + retryAfter);
            }
            // A frame must at least hold a length prefix and an empty message; 64 bytes leaves room for errors.
            if (maxFrameBytes < 64 || maxInFlight < 1 || maxConnections < 1) {
                throw new IllegalArgumentException("limits must be positive (frames at least 64 bytes)");
            }
        }

        /** 5 s requests (60 s at most), 2 MiB frames, 1024 in flight, 1024 connections, 100 ms retry hint. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), Duration.ofSeconds(60), ClientProtocol.DEFAULT_MAX_FRAME_BYTES,
                    1024, 1024, Duration.ofMillis(100));
        }

        /** The same options with another default request timeout. */
        public Options withRequestTimeout(Duration t) {
            return new Options(t, maxRequestTimeout.compareTo(t) < 0 ? t : maxRequestTimeout, maxFrameBytes,
                    maxInFlight, maxConnections, retryAfter);
        }

        /** The same options with another frame limit. */
        public Options withMaxFrameBytes(int n) {
            return new Options(requestTimeout, maxRequestTimeout, n, maxInFlight, maxConnections, retryAfter);
        }

        /** The same options with another per-connection in-flight limit. */
        public Options withMaxInFlight(int n) {
            return new Options(requestTimeout, maxRequestTimeout, maxFrameBytes, n, maxConnections, retryAfter);
        }

        /** The same options with another connection limit. */
        public Options withMaxConnections(int n) {
            return new Options(requestTimeout, maxRequestTimeout, maxFrameBytes, maxInFlight, n, retryAfter);
        }
    }

    private final InetSocketAddress bindAddress;
    private final Options options;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final RequestDispatcher dispatcher;
    private final ChannelGroup channels = new DefaultChannelGroup("kv-client-protocol", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Channel serverChannel;
    private volatile boolean closed;

    /** A server with the default options on its own event loops. */
    public ClientProtocolServer(KvService service, InetSocketAddress bindAddress) {
        this(service, bindAddress, Options.defaults(), null);
    }

    /**
     * A server on {@code group}, which must support NIO channels and is left running on {@link #close()}; if
     * {@code group} is null the server creates (and on close shuts down) its own group of at most two threads.
     */
    public ClientProtocolServer(KvService service, InetSocketAddress bindAddress, Options options,
                                EventLoopGroup group) {
        Objects.requireNonNull(service, "service");
        this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
        this.options = Objects.requireNonNull(options, "options");
        this.ownsGroup = group == null;
        this.group = group != null ? group : new MultiThreadIoEventLoopGroup(
                Math.min(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("kv-client-protocol", true), NioIoHandler.newFactory());
        this.dispatcher = new RequestDispatcher(service, options);
    }

    /** Binds and starts serving; returns the address actually bound (so port 0 picks a free port). */
    public InetSocketAddress start() throws IOException {
        if (closed) {
            throw new IllegalStateException("the client-protocol server is closed");
        }
        if (serverChannel != null) {
            throw new IllegalStateException("the client-protocol server is already started");
        }
        serverChannel = ConnectionLimitedListener.bind(group, bindAddress, "client protocol", options.maxConnections(),
                connections, this::initConnection);
        return (InetSocketAddress) serverChannel.localAddress();
    }

    private void initConnection(SocketChannel ch) {
        channels.add(ch);
        ch.pipeline()
                // Responses complete one by one on other threads; folding their flushes saves syscalls under load.
                .addLast("flush", new FlushConsolidationHandler(FLUSHES_TO_CONSOLIDATE, true))
                // failFast: an oversized length prefix fails at once, before the server buffers any of the frame.
                .addLast("frames", new LengthFieldBasedFrameDecoder(options.maxFrameBytes(), 0,
                        ClientProtocol.LENGTH_PREFIX_BYTES, 0, ClientProtocol.LENGTH_PREFIX_BYTES, true))
                .addLast("requests", new ClientConnectionHandler(dispatcher, options.maxInFlight(),
                        options.maxFrameBytes()));
    }

    /** Stops accepting, closes every connection (requests in flight are abandoned) and releases threads. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ConnectionLimitedListener.shutdown(serverChannel, channels, ownsGroup ? group : null, SHUTDOWN_TIMEOUT);
    }
}
