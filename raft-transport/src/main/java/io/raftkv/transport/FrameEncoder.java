package io.raftkv.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import io.raftkv.transport.proto.Envelope;

/**
 * Writes an {@link Envelope} as one frame: a 4-byte big-endian length, then the encoded envelope. Prefix and body
 * go into a single buffer of exactly the right size (one allocation per message, unlike a separate prepender).
 * The sender checks the frame limit before a message is queued, so nothing oversized reaches this point.
 */
@ChannelHandler.Sharable
final class FrameEncoder extends MessageToByteEncoder<Envelope> {

    static final int LENGTH_PREFIX_BYTES = 4;

    FrameEncoder() {
        super(Envelope.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Envelope msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(LENGTH_PREFIX_BYTES + msg.getSerializedSize());
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Envelope msg, ByteBuf out) throws Exception {
        out.writeInt(msg.getSerializedSize());
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            msg.writeTo(stream);
        }
    }
}
