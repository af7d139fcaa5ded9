package io.raftkv.kv.server.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP listener under the client-protocol and HTTP servers: binds, closes connections beyond a limit at
 * once, and hands every accepted connection to the server's pipeline set-up.
 */
public final class ConnectionLimitedListener {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimitedListener.class);

    private ConnectionLimitedListener() {
    }

    /**
     * Binds {@code address} for the endpoint named {@code what}, counting open connections in {@code open}.
     *
     * @return the server channel, bound (port 0 becomes a real port)
     * @throws IOException naming the endpoint and address if the bind fails
     */
    public static Channel bind(EventLoopGroup group, InetSocketAddress address, String what, int maxConnections,
                               AtomicInteger open, Consumer<SocketChannel> pipeline) throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.incrementAndGet() > maxConnections) {
                            open.decrementAndGet();
                            // Debug, not warn: under a connection flood a line per refusal would flood the log too.
                            LOG.debug("refusing a {} connection from {}: {} connections are open", what,
                                    ch.remoteAddress(), maxConnections);
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        pipeline.accept(ch);
                    }
                });
        ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("cannot bind the " + what + " endpoint to " + address + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        LOG.info("{} listening on {}", what, bound.channel().localAddress());
        return bound.channel();
    }

    /**
     * Stops accepting (closes {@code server}, which may be null if never bound), closes every open connection,
     * and shuts down {@code ownedGroup} unless it is null (a group the caller does not own is left running),
     * waiting at most {@code timeout} for each step.
     */
    public static void shutdown(Channel server, io.netty.channel.group.ChannelGroup connections,
                                EventLoopGroup ownedGroup, Duration timeout) {
        if (server != null) {
            server.close().awaitUninterruptibly(timeout.toMillis());
        }
        connections.close().awaitUninterruptibly(timeout.toMillis());
        if (ownedGroup != null) {
            ownedGroup.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .awaitUninterruptibly(timeout.toMillis());
        }
    }
}
