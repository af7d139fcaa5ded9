package io.raftkv.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.raftkv.core.NodeId;
import io.raftkv.transport.proto.Envelope;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything this node sends to one peer: its control and bulk lanes and the byte budget they share.
 *
 * <p>The budget ({@link TransportConfig#maxQueuedBytesPerPeer()}) counts encoded bytes from the moment a message
 * is accepted until its write to the socket completes (or fails). Bulk messages may fill it only up to a reserve
 * of one eighth, which stays available to control messages: a follower drowning in appends still gets its
 * heartbeats and votes. A message that does not fit is dropped, never waited for: the caller (the Raft runtime's
 * loop) must not block, and Raft retransmits what matters.
 */
final class PeerLink {

    private final NodeId id;
    private final InetSocketAddress address;
    private final long maxQueuedBytes;
    private final long bulkLimit;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final OutboundLane control;
    private final OutboundLane bulk;

    /**
     * @param advertised this node's own listening address, announced in the Hello of both lanes
     */
    PeerLink(NodeId id, InetSocketAddress address, InetSocketAddress advertised, long maxQueuedBytes,
             EventLoopGroup group, Bootstrap base, ChannelGroup channels, RaftMessageCodec codec,
             ReconnectBackoff backoff, Duration stableAfter) {
        this.id = id;
        this.address = address;
        this.maxQueuedBytes = maxQueuedBytes;
        this.bulkLimit = maxQueuedBytes - maxQueuedBytes / 8;
        // Each lane lives on one event loop for its whole life, so its state needs no locks.
        this.control = new OutboundLane(this, Lane.CONTROL, group.next(), base, channels,
                codec.hello(Lane.CONTROL, advertised), backoff,
                stableAfter);
        this.bulk = new OutboundLane(this, Lane.BULK, group.next(), base, channels,
                codec.hello(Lane.BULK, advertised), backoff,
                stableAfter);
    }

    NodeId id() {
        return id;
    }

    InetSocketAddress address() {
        return address;
    }

    void start() {
        control.start();
        bulk.start();
    }

    void close() {
        control.close();
        bulk.close();
    }

    /**
     * Queues an envelope of {@code frameBytes} (prefix included) on {@code lane}, or drops it.
     *
     * @return whether it was queued
     */
    boolean send(Envelope envelope, int frameBytes, Lane lane) {
        OutboundLane target = lane == Lane.CONTROL ? control : bulk;
        if (!target.connected() || !reserve(frameBytes, lane == Lane.CONTROL ? maxQueuedBytes : bulkLimit)) {
            dropped.incrementAndGet();
            return false;
        }
        target.enqueue(envelope, frameBytes);
        return true;
    }

    /** Takes {@code bytes} from the budget if the total stays within {@code limit}. */
    private boolean reserve(long bytes, long limit) {
        // A CAS loop rather than add-then-check, so that concurrent senders can never overshoot the bound.
        while (true) {
            long current = queuedBytes.get();
            if (current + bytes > limit) {
                return false;
            }
            if (queuedBytes.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        queuedBytes.addAndGet(-bytes);
    }

    void countDropped(long messages) {
        dropped.addAndGet(messages);
    }

    PeerStats stats() {
        return new PeerStats(id, address, control.connected() && bulk.connected(), queuedBytes.get(),
                dropped.get());
    }
}
