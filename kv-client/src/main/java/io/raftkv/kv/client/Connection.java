package io.raftkv.kv.client;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.api.proto.ClientRequest;
import io.raftkv.kv.api.proto.ClientResponse;
import io.raftkv.kv.api.proto.Error;
import io.raftkv.kv.api.proto.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection to one endpoint: connects on first use and again after a loss, pipelines any number of
 * requests (each gets an id unique on this client, and its response is matched by it), and fails a request with
 * a {@link ConnectionFailure} if it cannot be sent, the connection drops, or no answer comes in time.
 *
 * <p>All state is confined to one event loop (the channel's), so it needs no locks; {@link #send} hops onto it.
 * Writes are flushed once per event-loop turn, so requests issued together share a syscall.
 */
final class Connection {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    /** A request written to {@code channel}: only that channel's loss fails it. */
    private record Pending(CompletableFuture<ClientResponse> future, ScheduledFuture<?> timer, Channel channel) {
    }

    private record Queued(ClientRequest.Builder request, CompletableFuture<ClientResponse> future,
                          ScheduledFuture<?> timer) {
    }

    private final Endpoint endpoint;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int maxFrameBytes;

    /** Bytes that may wait to be sent on the socket before requests are refused as overloaded. */
    private final int maxQueuedBytes;

    // Confined to loop.
    private Channel channel;
    private boolean connecting;
    private boolean flushScheduled;
    private boolean closed;
    private long nextId = 1;
    private final List<Queued> waitingForConnection = new ArrayList<>();
    private final Map<Long, Pending> pending = new HashMap<>();

    Connection(Endpoint endpoint, EventLoop loop, Duration connectTimeout, int maxFrameBytes, int maxQueuedBytes) {
        this.endpoint = endpoint;
        this.loop = loop;
        this.maxFrameBytes = maxFrameBytes;
        this.maxQueuedBytes = maxQueuedBytes;
        this.bootstrap = new Bootstrap()
                .group(loop) // the channel lives on this connection's loop, so its callbacks need no hop
                .channel(NioSocketChannel.class)
                // Not writable above maxQueuedBytes waiting to be sent: write() then refuses (see there).
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(maxQueuedBytes / 2, maxQueuedBytes))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("frames", new LengthFieldBasedFrameDecoder(maxFrameBytes, 0,
                                        ClientProtocol.LENGTH_PREFIX_BYTES, 0, ClientProtocol.LENGTH_PREFIX_BYTES, true))
                                .addLast("responses", new ResponseHandler());
                    }
                });
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Sends {@code request} (its id is set here) and completes with the response, or fails with
     * {@link ConnectionFailure} if none arrives within {@code timeoutMillis} (connecting included).
     */
    CompletableFuture<ClientResponse> send(ClientRequest.Builder request, long timeoutMillis) {
        CompletableFuture<ClientResponse> f = new CompletableFuture<>();
        try {
            loop.execute(() -> enqueue(request, f, timeoutMillis));
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new ConnectionFailure("the client is closed", false));
        }
        return f;
    }

    private void enqueue(ClientRequest.Builder request, CompletableFuture<ClientResponse> f, long timeoutMillis) {
        if (closed) {
            f.completeExceptionally(new ConnectionFailure("the client is closed", false));
            return;
        }
        if (channel != null && channel.isActive()) {
            write(request, f, timeoutMillis);
            return;
        }
        // Not sent yet, so a timeout here means "never delivered".
        ScheduledFuture<?> timer = loop.schedule(() -> {
            if (f.completeExceptionally(new ConnectionFailure("could not connect to " + endpoint + " within "
                    + timeoutMillis + " ms", false))) {
                waitingForConnection.removeIf(q -> q.future() == f);
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        waitingForConnection.add(new Queued(request, f, timer));
        connect();
    }

    private void connect() {
        if (connecting) {
            return;
        }
        connecting = true;
        ChannelFuture cf = bootstrap.connect(endpoint.socketAddress());
        cf.addListener((ChannelFuture done) -> {
            connecting = false;
            List<Queued> queued = new ArrayList<>(waitingForConnection);
            waitingForConnection.clear();
            if (!done.isSuccess() || closed) {
                if (closed) {
                    done.channel().close();
                }
                String why = done.cause() == null ? "closed" : done.cause().getMessage();
                LOG.debug("cannot connect to {}: {}", endpoint, why);
                for (Queued q : queued) {
                    q.timer().cancel(false);
                    q.future().completeExceptionally(new ConnectionFailure("cannot connect to " + endpoint + ": "
                            + why, false));
                }
                return;
            }
            Channel ch = done.channel();
            channel = ch;
            ch.closeFuture().addListener(closedFuture -> lost(ch));
            LOG.debug("connected to {}", endpoint);
            for (Queued q : queued) {
                q.timer().cancel(false);
                if (!q.future().isDone()) {
                    // The remaining time is lost track of here; the caller's deadline still bounds the call.
                    write(q.request(), q.future(), Math.max(1, q.timer().getDelay(TimeUnit.MILLISECONDS)));
                }
            }
        });
    }

    private void write(ClientRequest.Builder builder, CompletableFuture<ClientResponse> f, long timeoutMillis) {
        long id = nextId++;
        if (!channel.isWritable()) {
            // The server reads no faster than it serves (it stops reading a connection at its in-flight limit),
            // so requests beyond it would wait here, in this client's memory, until they time out unanswered.
            // Refused instead, not sent (so the outcome is known), as the server refuses when it is overloaded;
            // the call backs off and retries within its deadline.
            ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
            f.complete(ClientResponse.newBuilder().setId(id).setError(Error.newBuilder()
                    .setCode(ErrorCode.OVERLOADED)
                    .setMessage("the connection to " + endpoint + " already has "
                            + (out == null ? "too many" : String.valueOf(out.totalPendingWriteBytes()))
                            + " bytes waiting to be sent (limit " + maxQueuedBytes + "); the request was not sent")
                    .build()).build());
            return;
        }
        ClientRequest request = builder.setId(id).build();
        ScheduledFuture<?> timer = loop.schedule(() -> {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future().completeExceptionally(new ConnectionFailure("no answer from " + endpoint + " within "
                        + timeoutMillis + " ms", true));
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        Channel ch = channel;
        pending.put(id, new Pending(f, timer, ch));
        ch.write(Unpooled.wrappedBuffer(frame(request))).addListener(w -> {
            if (!w.isSuccess()) {
                // Part of it may be on the wire: treat as possibly delivered. Closing fails everything pending.
                LOG.debug("writing to {} failed: {}", endpoint, String.valueOf(w.cause()));
                ch.close();
            }
        });
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(() -> {
                flushScheduled = false;
                ch.flush();
            });
        }
    }

    private static byte[] frame(ClientRequest request) {
        int size = request.getSerializedSize();
        byte[] frame = new byte[ClientProtocol.LENGTH_PREFIX_BYTES + size];
        frame[0] = (byte) (size >>> 24);
        frame[1] = (byte) (size >>> 16);
        frame[2] = (byte) (size >>> 8);
        frame[3] = (byte) size;
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(frame, ClientProtocol.LENGTH_PREFIX_BYTES, size);
            request.writeTo(out);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException("serializing a request into an array of its exact size failed", e);
        }
        return frame;
    }

    private void lost(Channel ch) {
        if (channel == ch) {
            channel = null;
        }
        // Only requests written to this channel: a reconnect may already carry newer ones.
        List<Pending> failed = new ArrayList<>();
        pending.values().removeIf(p -> p.channel() == ch && failed.add(p));
        if (failed.isEmpty()) {
            return;
        }
        LOG.debug("connection to {} lost with {} requests in flight", endpoint, failed.size());
        for (Pending p : failed) {
            p.timer().cancel(false);
            p.future().completeExceptionally(new ConnectionFailure("the connection to " + endpoint
                    + " was lost before the answer came", true));
        }
    }

    private void answered(ClientResponse response) {
        Pending p = pending.remove(response.getId());
        if (p == null) {
            // The request already timed out (or its connection was replaced): nobody waits for this answer.
            LOG.debug("dropping a late response {} from {}", response.getId(), endpoint);
            return;
        }
        p.timer().cancel(false);
        p.future().complete(response);
    }

    /** Closes the connection; requests waiting on it fail. Idempotent. */
    void close() {
        try {
            loop.execute(() -> {
                closed = true;
                for (Queued q : waitingForConnection) {
                    q.timer().cancel(false);
                    q.future().completeExceptionally(new ConnectionFailure("the client is closed", false));
                }
                waitingForConnection.clear();
                if (channel != null) {
                    channel.close();
                }
            });
        } catch (RejectedExecutionException e) {
            // The event loop is already shutting down: it closes its channels itself.
        }
    }

    /** Reads response frames; all of it runs on the connection's loop. */
    private final class ResponseHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ClientResponse response;
            try {
                if (!(msg instanceof ByteBuf frame)) {
                    return;
                }
                try {
                    response = ClientResponse.parser().parseFrom(frame.nioBuffer());
                } catch (InvalidProtocolBufferException e) {
                    // The stream cannot be trusted any more; requests in flight are retried elsewhere.
                    LOG.warn("closing the connection to {}: a frame of {} bytes is not a ClientResponse ({})",
                            endpoint, frame.readableBytes(), e.getMessage());
                    ctx.close();
                    return;
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
            answered(response);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException) {
                LOG.debug("connection to {} failed: {}", endpoint, cause.toString());
            } else {
                LOG.warn("connection to {} failed; closing it: {}", endpoint, cause.toString());
            }
            ctx.close();
        }
    }
}
