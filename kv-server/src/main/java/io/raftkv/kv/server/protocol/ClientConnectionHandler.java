package io.raftkv.kv.server.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.api.proto.ClientRequest;
import io.raftkv.kv.api.proto.ClientResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of one client connection's pipeline: parses each frame as a {@link ClientRequest}, hands it to the
 * {@link RequestDispatcher} and writes the response when its future completes. Responses go out in completion
 * order; the client matches them by id.
 *
 * <p>Back-pressure: at most {@code maxInFlight} requests are dispatched at once. At the limit the handler
 * stops reading from the socket (so TCP pushes back on the client); frames already read keep arriving from the
 * frame decoder and wait in a backlog until requests finish. Since reading has stopped, the backlog holds at most
 * what the last socket read delivered (typically up to 64 KiB); it is bounded in bytes anyway, and a request
 * beyond that bound is answered OVERLOADED. Reading also stops while the socket's outbound buffer is full, so a client that
 * sends but never reads cannot make the server buffer responses without bound.
 *
 * <p>All fields are touched only on the channel's event loop: completions from other threads hop onto it.
 */
final class ClientConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ClientConnectionHandler.class);

    private final RequestDispatcher dispatcher;
    private final int maxInFlight;
    private final long maxBacklogBytes;
    private final int maxFrameBytes;

    /** Requests read while {@link #maxInFlight} were being served. */
    private final ArrayDeque<ClientRequest> backlog = new ArrayDeque<>();
    /** Serialized size of the requests in {@link #backlog}. */
    private long backlogBytes;
    private int inFlight;
    /** Set once the connection is being closed: frames the decoder still delivers are ignored. */
    private boolean closing;

    ClientConnectionHandler(RequestDispatcher dispatcher, int maxInFlight, int maxFrameBytes) {
        this.dispatcher = dispatcher;
        this.maxInFlight = maxInFlight;
        // Reading stops at maxInFlight, so the backlog only holds what the last socket read decoded: at most one
        // read buffer plus one frame. The bound is a backstop well above that.
        this.maxBacklogBytes = (long) maxFrameBytes + (1 << 20);
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ClientRequest request;
        try {
            if (closing || !(msg instanceof ByteBuf frame)) {
                return;
            }
            try {
                request = ClientRequest.parser().parseFrom(frame.nioBuffer());
            } catch (InvalidProtocolBufferException e) {
                // A peer that sends garbage does not speak this protocol (or lost framing): nothing after it can
                // be trusted, so the connection goes.
                LOG.warn("closing client connection {}: a frame of {} bytes is not a ClientRequest ({})",
                        ctx.channel().remoteAddress(), frame.readableBytes(), e.getMessage());
                close(ctx);
                return;
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
        if (inFlight < maxInFlight) {
            start(ctx, request);
        } else if (backlogBytes + request.getSerializedSize() <= maxBacklogBytes) {
            backlog.addLast(request);
            backlogBytes += request.getSerializedSize();
        } else {
            write(ctx, dispatcher.overloaded(request.getId(), "too many requests are pending on this connection;"
                    + " wait for responses before sending more"));
        }
        updateReading(ctx);
    }

    private void start(ChannelHandlerContext ctx, ClientRequest request) {
        inFlight++;
        dispatcher.dispatch(request).whenComplete((response, error) -> {
            // The dispatcher's future never fails; this only guards against a bug turning into a lost answer.
            ClientResponse r = response != null ? response : dispatcher.failure(request.getId(), error, true);
            try {
                // Always through the queue, even on the event loop: a response completed synchronously would
                // otherwise recurse through finish -> start -> finish while draining the backlog.
                ctx.executor().execute(() -> finish(ctx, r));
            } catch (RejectedExecutionException shuttingDown) {
                // The event loop is shutting down with the server: the connection goes with it.
            }
        });
    }

    private void finish(ChannelHandlerContext ctx, ClientResponse response) {
        inFlight--;
        write(ctx, response);
        while (!closing && inFlight < maxInFlight && !backlog.isEmpty()) {
            ClientRequest next = backlog.pollFirst();
            backlogBytes -= next.getSerializedSize();
            start(ctx, next);
        }
        updateReading(ctx);
    }

    private void write(ChannelHandlerContext ctx, ClientResponse response) {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        ClientResponse r = response;
        int size = r.getSerializedSize();
        if (ClientProtocol.LENGTH_PREFIX_BYTES + size > maxFrameBytes) {
            // Only a scan can get here (values are limited well below the frame limit): ask for fewer items.
            r = dispatcher.tooLarge(r.getId(), "the response would be " + size + " bytes, over the frame limit of "
                    + maxFrameBytes + "; scan with a lower limit");
            size = r.getSerializedSize();
        }
        // One heap array per response, wrapped rather than copied into a pooled buffer: a response dropped on a
        // closed connection cannot leak pooled memory.
        byte[] frame = new byte[ClientProtocol.LENGTH_PREFIX_BYTES + size];
        frame[0] = (byte) (size >>> 24);
        frame[1] = (byte) (size >>> 16);
        frame[2] = (byte) (size >>> 8);
        frame[3] = (byte) size;
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(frame, ClientProtocol.LENGTH_PREFIX_BYTES, size);
            r.writeTo(out);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException("serializing a response into an array of its exact size failed", e);
        }
        // Flushed here, consolidated by the FlushConsolidationHandler at the head of the pipeline.
        ctx.writeAndFlush(Unpooled.wrappedBuffer(frame), ctx.voidPromise());
    }

    /** Reads only while there is room for more requests and the client keeps reading its responses. */
    private void updateReading(ChannelHandlerContext ctx) {
        boolean want = !closing && inFlight < maxInFlight && backlog.isEmpty() && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != want) {
            ctx.channel().config().setAutoRead(want); // true also issues a read
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        updateReading(ctx);
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closing = true;
        backlog.clear();
        backlogBytes = 0;
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || cause instanceof CorruptedFrameException) {
            // Oversized or negative length prefix: the stream cannot be resynchronised.
            LOG.warn("closing client connection {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
        } else if (cause instanceof DecoderException) {
            LOG.warn("closing client connection {}: undecodable input ({})", ctx.channel().remoteAddress(),
                    cause.getMessage());
        } else if (cause instanceof IOException) {
            LOG.debug("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("client connection {} failed; closing it", ctx.channel().remoteAddress(), cause);
        }
        close(ctx);
    }

    private void close(ChannelHandlerContext ctx) {
        closing = true;
        backlog.clear();
        backlogBytes = 0;
        ctx.close();
    }
}
