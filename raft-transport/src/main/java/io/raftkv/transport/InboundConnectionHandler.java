package io.raftkv.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.raftkv.core.NodeId;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.transport.proto.Envelope;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving end of one accepted connection: waits (with a deadline) for the Hello, then decodes, validates
 * and delivers each frame. Any protocol violation closes the connection with one WARN line naming the remote
 * address and the reason; nothing that arrives after the violation is delivered. Runs on the connection's event
 * loop only.
 */
final class InboundConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(InboundConnectionHandler.class);

    private final RaftMessageCodec codec;
    private final Predicate<NodeId> isKnownPeer;
    private final BiConsumer<RaftMessageCodec.Handshake, SocketAddress> onHandshake;
    private final Consumer<RaftMessage> deliver;
    private final InboundConnections connections;
    private final FrameDecoder frameDecoder;
    private final Duration handshakeTimeout;

    private ScheduledFuture<?> helloDeadline;
    private boolean admitted;
    private RaftMessageCodec.Handshake handshake;
    private boolean rejected;

    /**
     * @param isKnownPeer whose Hellos (and later messages) are accepted: configured and learned peers, and any node
     *                    while the transport accepts unconfigured peers
     * @param onHandshake told of every accepted Hello with the connection's remote address, before any message on
     *                    that connection is delivered (so that a reply to the first message can already be routed)
     */
    InboundConnectionHandler(RaftMessageCodec codec, Predicate<NodeId> isKnownPeer,
                             BiConsumer<RaftMessageCodec.Handshake, SocketAddress> onHandshake,
                             Consumer<RaftMessage> deliver, InboundConnections connections, FrameDecoder frameDecoder,
                             Duration handshakeTimeout) {
        this.codec = codec;
        this.isKnownPeer = isKnownPeer;
        this.onHandshake = onHandshake;
        this.deliver = deliver;
        this.connections = connections;
        this.frameDecoder = frameDecoder;
        this.handshakeTimeout = handshakeTimeout;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!connections.handshakeStarted()) {
            reject(ctx, "too many connections waiting for their Hello");
            return;
        }
        admitted = true;
        helloDeadline = ctx.executor().schedule(
                () -> reject(ctx, "no Hello within " + handshakeTimeout.toMillis() + " ms"),
                handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (rejected) {
                // Frames already split off the buffer when the connection was condemned: discard them.
                return;
            }
            ByteBuf frame = (ByteBuf) msg;
            Envelope env = codec.parse(frame.nioBuffer());
            if (handshake == null) {
                handshake = codec.acceptHello(env, isKnownPeer);
                endHandshake();
                frameDecoder.handshakeDone();
                connections.authenticated(ctx.channel(), handshake);
                log.debug("Accepted {} connection from {} at {}", handshake.lane(), handshake.peer(),
                        ctx.channel().remoteAddress());
                onHandshake.accept(handshake, ctx.channel().remoteAddress());
            } else {
                RaftMessage message = codec.decode(env, handshake.peer());
                if (!isKnownPeer.test(handshake.peer())) {
                    // Removed from the configuration after its Hello was accepted, or accepted as an unconfigured
                    // peer and the transport has stopped accepting those since.
                    reject(ctx, handshake.peer() + " is no longer a configured peer");
                    return;
                }
                deliverSafely(message);
            }
        } catch (PeerProtocolException e) {
            reject(ctx, e.getMessage());
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void deliverSafely(RaftMessage message) {
        try {
            deliver.accept(message);
        } catch (RuntimeException e) {
            // The receiver's fault, not the peer's: keep the connection, lose the message (Raft tolerates it).
            log.error("Inbound message handler failed on {}; message dropped", message.getClass().getSimpleName(), e);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            // Oversized or corrupt framing (TooLongFrameException, CorruptedFrameException, ...).
            Throwable reason = cause.getCause() != null && cause.getClass() == DecoderException.class
                    ? cause.getCause() : cause;
            reject(ctx, "bad framing: " + reason.getMessage());
        } else if (cause instanceof IOException) {
            // Connection reset and the like: the peer went away, nothing to report loudly.
            log.debug("Inbound connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            reject(ctx, "internal error: " + cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        endHandshake();
        connections.closed(ctx.channel());
        ctx.fireChannelInactive();
    }

    private void endHandshake() {
        if (helloDeadline != null) {
            helloDeadline.cancel(false);
            helloDeadline = null;
        }
        if (admitted) {
            admitted = false;
            connections.handshakeEnded();
        }
    }

    private void reject(ChannelHandlerContext ctx, String reason) {
        if (rejected) {
            return;
        }
        rejected = true;
        connections.rejected();
        log.warn("Closing inbound connection from {}{}: {}", ctx.channel().remoteAddress(),
                handshake == null ? "" : " (" + handshake.peer() + ", " + handshake.lane() + ")", reason);
        ctx.close();
    }
}
