package io.raftkv.kv.server.http;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.raftkv.kv.server.service.KvLimits;
import io.raftkv.kv.server.metrics.NodeMetrics;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.net.ConnectionLimitedListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/JSON API of one node (see {@code docs/http-api.md}), on Netty.
 *
 * <p>Everything a client controls is bounded: connections, request line, headers, body (by Content-Length before
 * it is read, and by the aggregator for chunked bodies), requests pipelined per connection, the time a request
 * waits for the cluster, and the time an idle connection stays open. The event loop never blocks: responses
 * are written when the service's future completes, and stale reads (served synchronously from RocksDB by
 * {@link KvService}) run on a small read pool.
 *
 * <p>Writes made through HTTP carry no client session, so a retried write may apply twice; clients that need
 * exactly-once writes use the Java client.
 */
public final class HttpApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApiServer.class);

    /**
     * Room on top of the value limit for any body other than a PUT's (the cas JSON). Deliberately small: the
     * aggregator buffers whole bodies, so a cas whose expected and new values together exceed the value limit
     * plus this slack is refused with 413 (the Java client has no such limit).
     */
    static final int BODY_SLACK_BYTES = 4096;
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Settings of the HTTP server.
     *
     * @param requestTimeout   how long one request may wait for a leader and a quorum before a 503 (default 5 s)
     * @param idleTimeout      how long a connection with no request in flight may stay silent (default 60 s)
     * @param maxConnections   open connections beyond which new ones are closed at once (default 1024)
     * @param maxHeaderBytes   total size of one request's headers (default 8 KiB)
     * @param maxPipelined     requests in flight on one connection before it stops reading (default 16)
     * @param readThreads      threads serving stale reads (default 2)
     * @param maxQueuedReads   stale reads waiting for those threads before 503 overloaded (default 1024)
     */
    public record Options(Duration requestTimeout, Duration idleTimeout, int maxConnections, int maxHeaderBytes,
                          int maxPipelined, int readThreads, int maxQueuedReads) {

        public Options {
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (requestTimeout.isNegative() || requestTimeout.isZero() || idleTimeout.isNegative()
                    || idleTimeout.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
            if (maxConnections < 1 || maxHeaderBytes < 1024 || maxPipelined < 1 || readThreads < 1
                    || maxQueuedReads < 1) {
                throw new IllegalArgumentException("limits must be positive (headers at least 1024 bytes)");
            }
        }

        /** 5 s requests, 60 s idle, 1024 connections, 8 KiB headers, 16 pipelined, 2 read threads, 1024 queued. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), Duration.ofSeconds(60), 1024, 8192, 16, 2, 1024);
        }

        /** The same options with another request timeout. */
        public Options withRequestTimeout(Duration t) {
            return new Options(t, idleTimeout, maxConnections, maxHeaderBytes, maxPipelined, readThreads,
                    maxQueuedReads);
        }

        /** The same options with another idle timeout. */
        public Options withIdleTimeout(Duration t) {
            return new Options(requestTimeout, t, maxConnections, maxHeaderBytes, maxPipelined, readThreads,
                    maxQueuedReads);
        }

        /** The same options with another connection limit. */
        public Options withMaxConnections(int n) {
            return new Options(requestTimeout, idleTimeout, n, maxHeaderBytes, maxPipelined, readThreads,
                    maxQueuedReads);
        }
    }

    private final KvService service;
    private final InetSocketAddress bindAddress;
    private final Options options;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final ThreadPoolExecutor readPool;
    private final HttpApiRouter router;
    private final NodeMetrics metrics;
    private final ChannelGroup channels = new DefaultChannelGroup("kv-http", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger connections = new AtomicInteger();
    private final int maxInitialLineBytes;
    private final int maxBodyBytes;
    private volatile Channel serverChannel;
    private volatile boolean closed;

    /** A server with the default options on its own event loops. */
    public HttpApiServer(KvService service, InetSocketAddress bindAddress) {
        this(service, bindAddress, Options.defaults(), null);
    }

    /** A server with the given request timeout on its own event loops. */
    public HttpApiServer(KvService service, InetSocketAddress bindAddress, Duration requestTimeout) {
        this(service, bindAddress, requestTimeout, null);
    }

    /** A server with the given request timeout, on {@code group} (null: its own small NIO group). */
    public HttpApiServer(KvService service, InetSocketAddress bindAddress, Duration requestTimeout,
                         EventLoopGroup group) {
        this(service, bindAddress, Options.defaults().withRequestTimeout(requestTimeout), group);
    }

    /**
     * A server on {@code group}, which must support NIO channels and is left running on {@link #close()}; if
     * {@code group} is null the server creates (and on close shuts down) its own group of at most two threads.
     */
    public HttpApiServer(KvService service, InetSocketAddress bindAddress, Options options, EventLoopGroup group) {
        this(service, bindAddress, options, group, null);
    }

    /**
     * As {@link #HttpApiServer(KvService, InetSocketAddress, Options, EventLoopGroup)}, with the fault endpoints
     * ({@code /v1/fault/...}) served by {@code faults}; null leaves them answering 403.
     */
    public HttpApiServer(KvService service, InetSocketAddress bindAddress, Options options, EventLoopGroup group,
                         FaultControl faults) {
        this.service = Objects.requireNonNull(service, "service");
        this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
        this.options = Objects.requireNonNull(options, "options");
        this.ownsGroup = group == null;
        this.group = group != null ? group : new MultiThreadIoEventLoopGroup(
                Math.min(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("kv-http", true), NioIoHandler.newFactory());
        this.readPool = new ThreadPoolExecutor(options.readThreads(), options.readThreads(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(options.maxQueuedReads()), new DefaultThreadFactory("kv-http-read", true),
                new ThreadPoolExecutor.AbortPolicy());
        this.readPool.allowCoreThreadTimeOut(true);
        this.metrics = new NodeMetrics(service);
        this.router = new HttpApiRouter(service, options.requestTimeout(), readPool, faults, metrics);
        KvLimits limits = service.limits();
        // A scan names two keys, each possibly fully percent-encoded (3 characters a byte), plus the rest.
        this.maxInitialLineBytes = Math.max(4096, 6 * limits.maxKeyBytes() + 1024);
        this.maxBodyBytes = limits.maxValueBytes() + BODY_SLACK_BYTES;
    }

    /** Binds and starts serving; returns the address actually bound (so port 0 picks a free port). */
    public InetSocketAddress start() throws IOException {
        if (closed) {
            throw new IllegalStateException("the HTTP server is closed");
        }
        if (serverChannel != null) {
            throw new IllegalStateException("the HTTP server is already started");
        }
        serverChannel = ConnectionLimitedListener.bind(group, bindAddress, "HTTP API", options.maxConnections(),
                connections, this::initConnection);
        return (InetSocketAddress) serverChannel.localAddress();
    }

    private void initConnection(SocketChannel ch) {
        channels.add(ch);
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineBytes)
                .setMaxHeaderSize(options.maxHeaderBytes())
                .setMaxChunkSize(8192);
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, options.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                .addLast("codec", new HttpServerCodec(decoder))
                .addLast("limits", new RequestLimitHandler(service.limits().maxValueBytes(), maxBodyBytes))
                .addLast("aggregator", new JsonHttpObjectAggregator(maxBodyBytes))
                .addLast("api", new HttpApiHandler(router, options.maxPipelined(), maxInitialLineBytes,
                        options.maxHeaderBytes()));
    }

    /** Stops accepting, closes every connection (requests in flight are abandoned) and releases threads. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ConnectionLimitedListener.shutdown(serverChannel, channels, ownsGroup ? group : null, SHUTDOWN_TIMEOUT);
        readPool.shutdownNow();
        metrics.close();
    }
}
