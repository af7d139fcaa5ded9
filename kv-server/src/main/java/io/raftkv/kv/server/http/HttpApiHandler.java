package io.raftkv.kv.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.raftkv.kv.server.service.ErrorCode;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of one connection's pipeline: hands each aggregated request to the router and writes the responses.
 *
 * <p>Responses complete out of order (a stale read can finish before an earlier write), but HTTP/1.1 requires
 * pipelined responses in request order, so each request takes a sequence number and a finished response waits
 * until every earlier one is written. At most {@code maxPipelined} requests are in flight per connection: at
 * the limit the handler stops reading from the socket, which pushes back on the client through TCP, and a
 * request decoded beyond it anyway is answered 503 overloaded.
 *
 * <p>All fields are touched only on the channel's event loop: completions from other threads hop onto it.
 */
final class HttpApiHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApiHandler.class);

    private record Finished(ApiResponse response, boolean keepAlive) {
    }

    private final HttpApiRouter router;
    private final int maxPipelined;
    private final int maxInitialLineBytes;
    private final int maxHeaderBytes;

    private final Map<Long, Finished> finished = new HashMap<>();
    private long nextSequence;
    private long nextToWrite;
    private int inFlight;
    /** Set once a request asked for (or forced) the connection to close: later requests are ignored. */
    private boolean closing;

    HttpApiHandler(HttpApiRouter router, int maxPipelined, int maxInitialLineBytes, int maxHeaderBytes) {
        this.router = router;
        this.maxPipelined = maxPipelined;
        this.maxInitialLineBytes = maxInitialLineBytes;
        this.maxHeaderBytes = maxHeaderBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (closing) {
                return; // everything after a "Connection: close" request is dropped
            }
            if (msg instanceof RejectedRequest rejected) {
                submit(ctx, CompletableFuture.completedFuture(rejected.response()), rejected.keepAlive());
            } else if (msg instanceof FullHttpRequest req) {
                DecoderResult result = req.decoderResult();
                if (result.isFailure()) {
                    // The decoder discards everything after a malformed message: the connection is done.
                    submit(ctx, CompletableFuture.completedFuture(decoderFailure(result.cause())), false);
                } else if (req.protocolVersion().majorVersion() != 1) {
                    // Netty parses any "HTTP/x.y"; only 1.0 and 1.1 framing is understood here.
                    submit(ctx, CompletableFuture.completedFuture(ApiResponse.error(400,
                            ErrorCode.BAD_REQUEST.wireName(), "only HTTP/1.0 and HTTP/1.1 are supported", null,
                            Map.of())), false);
                } else if (inFlight >= maxPipelined) {
                    // Reading stopped at the limit, but requests already decoded from the last read still
                    // arrive: answer them (in order) without giving the service more work.
                    submit(ctx, CompletableFuture.completedFuture(ApiResponse.error(503,
                            ErrorCode.OVERLOADED.wireName(), "more than " + maxPipelined + " requests are pipelined"
                                    + " on this connection; wait for responses before sending more", null,
                            Map.of("Retry-After", HttpApiRouter.RETRY_AFTER_SECONDS))), HttpUtil.isKeepAlive(req));
                } else {
                    // Copied out because the request's buffer is released when this method returns.
                    byte[] body = ByteBufUtil.getBytes(req.content());
                    submit(ctx, router.route(req.method().name(), req.uri(), body), HttpUtil.isKeepAlive(req));
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void submit(ChannelHandlerContext ctx, CompletableFuture<ApiResponse> response, boolean keepAlive) {
        long sequence = nextSequence++;
        inFlight++;
        if (!keepAlive) {
            closing = true;
        }
        if (inFlight >= maxPipelined) {
            ctx.channel().config().setAutoRead(false);
        }
        response.whenComplete((r, e) -> {
            ApiResponse resp = r != null ? r : router.failure(e);
            EventExecutor loop = ctx.executor();
            if (loop.inEventLoop()) {
                finish(ctx, sequence, resp, keepAlive);
            } else {
                try {
                    loop.execute(() -> finish(ctx, sequence, resp, keepAlive));
                } catch (RejectedExecutionException shuttingDown) {
                    // The event loop is shutting down with the server: the connection goes with it.
                }
            }
        });
    }

    private void finish(ChannelHandlerContext ctx, long sequence, ApiResponse response, boolean keepAlive) {
        finished.put(sequence, new Finished(response, keepAlive));
        Finished next;
        while ((next = finished.remove(nextToWrite)) != null) {
            nextToWrite++;
            inFlight--;
            if (!ctx.channel().isActive()) {
                continue;
            }
            ChannelFuture written = ctx.writeAndFlush(toNetty(next.response(), next.keepAlive()));
            if (!next.keepAlive()) {
                written.addListener(ChannelFutureListener.CLOSE);
                finished.clear();
                return;
            }
            written.addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        }
        if (!closing && inFlight < maxPipelined && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true); // also issues a read
        }
    }

    private static FullHttpResponse toNetty(ApiResponse r, boolean keepAlive) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        resp.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length)
                // Values change with every write; no intermediary should serve an old one.
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                // Explicit either way so HTTP/1.0 keep-alive clients know too.
                .set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        r.headers().forEach(resp.headers()::set);
        return resp;
    }

    private ApiResponse decoderFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            // Almost always an oversized key (or scan bound) in the path.
            return ApiResponse.error(413, ErrorCode.TOO_LARGE.wireName(), "the request line is over "
                    + maxInitialLineBytes + " bytes", null, Map.of());
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return ApiResponse.error(400, ErrorCode.BAD_REQUEST.wireName(), "the headers are over "
                    + maxHeaderBytes + " bytes", null, Map.of());
        }
        String detail = cause == null || cause.getMessage() == null ? "" : ": "
                + HttpApiRouter.abbreviate(cause.getMessage().replaceAll("\\p{Cntrl}", "?"));
        return ApiResponse.error(400, ErrorCode.BAD_REQUEST.wireName(), "malformed HTTP request" + detail, null,
                Map.of());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            // A request waiting on Raft is not idleness: its own timeout bounds it.
            if (inFlight == 0) {
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        finished.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("HTTP connection {} failed; closing it", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
