package io.raftkv.kv.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.raftkv.kv.server.service.ErrorCode;
import java.util.Map;

/**
 * Refuses a body by its declared Content-Length before any of it is buffered (one instance per connection,
 * placed before the aggregator). A PUT body is the value itself, so it is held to the value limit exactly; other
 * bodies (the cas JSON) to the aggregator's limit. Bodies without a Content-Length (chunked) are bounded by the
 * aggregator instead.
 *
 * <p>After refusing, the body is read and dropped rather than the connection closed at once: closing with unread
 * bytes makes TCP send a reset, which can destroy the 413 before the client reads it. Dropping is bounded: a body
 * declared more than {@link #DISCARD_ALLOWANCE} past the limit, or one announced with {@code Expect: 100-continue}
 * (the client is waiting and will not send it), gets the 413 and a closed connection.
 */
final class RequestLimitHandler extends ChannelInboundHandlerAdapter {

    /** Most bytes of a refused body read and dropped to keep the connection usable. */
    static final long DISCARD_ALLOWANCE = 64 * 1024;

    private final int putLimit;
    private final int bodyLimit;
    private boolean discarding;

    RequestLimitHandler(int putLimit, int bodyLimit) {
        this.putLimit = putLimit;
        this.bodyLimit = bodyLimit;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            discarding = false;
            // A request the decoder already failed is reported by HttpApiHandler with the decoder's reason.
            if (req.decoderResult().isSuccess()) {
                long declared = HttpUtil.getContentLength(req, -1L);
                int limit = HttpMethod.PUT.equals(req.method()) ? putLimit : bodyLimit;
                if (declared > limit) {
                    refuse(ctx, req, declared, limit);
                    return;
                }
            }
        } else if (discarding && msg instanceof HttpContent) {
            if (msg instanceof LastHttpContent) {
                discarding = false;
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, HttpRequest req, long declared, int limit) {
        boolean keepAlive = HttpUtil.isKeepAlive(req) && !HttpUtil.is100ContinueExpected(req)
                && declared - limit <= DISCARD_ALLOWANCE;
        // Until the channel closes or the body ends, everything of this request is dropped.
        discarding = !(req instanceof LastHttpContent);
        ReferenceCountUtil.release(req);
        String what = HttpMethod.PUT.equals(req.method()) ? "the value" : "the body";
        ApiResponse r = ApiResponse.error(413, ErrorCode.TOO_LARGE.wireName(), what + " is " + declared
                + " bytes; the limit is " + limit, null, Map.of());
        ctx.fireChannelRead(new RejectedRequest(r, keepAlive));
    }
}
