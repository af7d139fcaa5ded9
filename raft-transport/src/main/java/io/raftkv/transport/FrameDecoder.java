package io.raftkv.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits an inbound byte stream into frames (4-byte big-endian length, then that many bytes) and refuses any
 * frame above the limit with a {@link TooLongFrameException} as soon as its length prefix is seen, before
 * buffering it. Until the connection's Hello has been accepted the limit is {@link RaftMessageCodec#MAX_HELLO_BYTES},
 * so a client that has not identified itself can make the server buffer only that much.
 *
 * <p>One instance per connection; used on that connection's event loop only.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {

    private boolean handshakeDone;

    FrameDecoder(int maxFrameBytes) {
        // Netty's limit counts the prefix too, ours does not. failFast: reject on the prefix rather than after
        // discarding maxFrameBytes of garbage.
        super(maxFrameBytes + FrameEncoder.LENGTH_PREFIX_BYTES, 0, FrameEncoder.LENGTH_PREFIX_BYTES, 0,
                FrameEncoder.LENGTH_PREFIX_BYTES, true);
    }

    /** Lifts the limit to the full frame size: called once the Hello has been accepted. */
    void handshakeDone() {
        handshakeDone = true;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (!handshakeDone && in.readableBytes() >= FrameEncoder.LENGTH_PREFIX_BYTES) {
            long length = in.getUnsignedInt(in.readerIndex());
            if (length > RaftMessageCodec.MAX_HELLO_BYTES) {
                throw new TooLongFrameException("first frame declares " + length
                        + " bytes; a Hello is at most " + RaftMessageCodec.MAX_HELLO_BYTES);
            }
        }
        return super.decode(ctx, in);
    }
}
