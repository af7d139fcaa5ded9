package io.raftkv.kv.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.raftkv.kv.server.service.ErrorCode;
import java.util.Map;

/**
 * The aggregator with the API's JSON 413 instead of Netty's empty one. It only triggers for bodies without a
 * Content-Length (chunked): {@link RequestLimitHandler} refuses declared lengths first. Part of such a body has
 * been read already and the rest of it cannot be skipped cheaply, so the connection is closed after the
 * response (as Netty itself does).
 */
final class JsonHttpObjectAggregator extends HttpObjectAggregator {

    JsonHttpObjectAggregator(int maxContentLength) {
        super(maxContentLength);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        ApiResponse r = ApiResponse.error(413, ErrorCode.TOO_LARGE.wireName(), "the body is over "
                + maxContentLength() + " bytes", null, Map.of());
        ctx.fireChannelRead(new RejectedRequest(r, false));
    }
}
