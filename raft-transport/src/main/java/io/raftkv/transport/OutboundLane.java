package io.raftkv.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.ReferenceCountUtil;
import io.raftkv.transport.proto.Envelope;
import java.io.IOException;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One outbound connection to a peer (its control or its bulk lane): dials, says Hello, writes queued envelopes in
 * batches, and redials with backoff when the connection fails or is lost.
 *
 * <p>Threading: {@link #enqueue} is called by any sender thread; everything else runs on this lane's event loop,
 * which owns the channel. Senders add to a lock-free queue and schedule at most one drain task at a time; the
 * drain writes everything queued and flushes once, so a burst of sends costs one syscall batch, not one each.
 *
 * <p>Backpressure: the drain stops handing envelopes to Netty while the channel is not writable (more than the
 * lane's high water mark already buffered) and resumes when it becomes writable again. Meanwhile the backlog
 * stays in the queue as envelopes that still point at the log's entry arrays, so it costs no copies; its size is
 * bounded by the peer's byte budget, which {@link PeerLink} enforces before anything is queued.
 */
final class OutboundLane {

    private static final Logger log = LoggerFactory.getLogger(OutboundLane.class);

    private static final WriteBufferWaterMark CONTROL_WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);
    private static final WriteBufferWaterMark BULK_WATER_MARK = new WriteBufferWaterMark(1024 * 1024, 4 * 1024 * 1024);
    /** Connections in a row closed before they were stable, after which the peer is presumed to refuse us. */
    private static final int QUICK_CLOSES_BEFORE_WARNING = 3;
    /** Caps the exponent of the backoff; the delay is at its maximum long before this. */
    private static final int MAX_COUNTED_FAILURES = 32;

    private record Pending(Envelope envelope, int frameBytes) {
    }

    private final PeerLink link;
    private final Lane lane;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Envelope hello;
    private final ReconnectBackoff backoff;
    private final long stableNanos;
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;

    /** Set on the loop once the Hello is written; read by senders to fail fast while disconnected. */
    private volatile Channel channel;
    private volatile boolean closed;

    // Confined to the loop.
    private int failures;
    private long connectedAtNanos;
    private boolean unreachableReported;
    private boolean refusalReported;
    private int quickCloses;

    /**
     * @param stableAfter a connection that lasted this long counts as healthy and resets the backoff; one that
     *                    closes sooner (say, a peer that refuses our Hello) keeps backing off
     */
    OutboundLane(PeerLink link, Lane lane, EventLoop loop, Bootstrap base, ChannelGroup channels, Envelope hello,
                 ReconnectBackoff backoff, Duration stableAfter) {
        this.link = link;
        this.lane = lane;
        this.loop = loop;
        this.hello = hello;
        this.backoff = backoff;
        this.stableNanos = stableAfter.toNanos();
        FrameEncoder encoder = new FrameEncoder();
        this.bootstrap = base.clone(loop)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, lane == Lane.CONTROL ? CONTROL_WATER_MARK : BULK_WATER_MARK)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast("frames", encoder).addLast("lane", new LaneHandler());
                    }
                });
    }

    void start() {
        execute(this::connect);
    }

    boolean connected() {
        Channel ch = channel;
        return ch != null && ch.isActive();
    }

    /** Queues an envelope whose bytes {@link PeerLink} already reserved. Any thread. */
    void enqueue(Envelope envelope, int frameBytes) {
        queue.add(new Pending(envelope, frameBytes));
        scheduleDrain();
    }

    void close() {
        closed = true;
        execute(() -> {
            Channel ch = channel;
            if (ch != null) {
                ch.close();
            }
            discardQueued();
        });
    }

    // ------------------------------------------------------------------------------------------- on the loop

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            execute(drainTask);
        }
    }

    private void drain() {
        // Cleared before polling: an envelope queued from now on is either seen by this drain or schedules the next.
        drainScheduled.set(false);
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            discardQueued();
            return;
        }
        boolean wrote = false;
        Pending p;
        while (ch.isWritable() && (p = queue.poll()) != null) {
            int bytes = p.frameBytes();
            ch.write(p.envelope()).addListener(f -> {
                link.release(bytes);
                if (!f.isSuccess()) {
                    link.countDropped(1);
                }
            });
            wrote = true;
        }
        if (wrote) {
            // One flush per drain: everything queued since the last turn goes out in as few writes as possible.
            ch.flush();
        }
    }

    private void discardQueued() {
        int count = 0;
        Pending p;
        while ((p = queue.poll()) != null) {
            link.release(p.frameBytes());
            count++;
        }
        if (count > 0) {
            link.countDropped(count);
        }
    }

    private void connect() {
        if (closed) {
            return;
        }
        bootstrap.connect(link.address()).addListener((ChannelFuture f) -> onConnectResult(f));
    }

    private void onConnectResult(ChannelFuture f) {
        if (!f.isSuccess()) {
            if (!closed) {
                // One line per outage, not one per attempt.
                if (!unreachableReported) {
                    unreachableReported = true;
                    log.info("Cannot connect {} lane to {} at {}: {}; retrying with backoff", lane, link.id(),
                            link.address(), f.cause().toString());
                }
                scheduleReconnect();
            }
            return;
        }
        Channel ch = f.channel();
        if (closed) {
            ch.close();
            return;
        }
        // The Hello must be the first frame: drain() writes nothing until `channel` is set, just below.
        ch.writeAndFlush(hello);
        connectedAtNanos = System.nanoTime();
        channel = ch;
        unreachableReported = false;
        if (refusalReported) {
            log.debug("Connected {} lane to {} at {}", lane, link.id(), link.address());
        } else {
            log.info("Connected {} lane to {} at {}", lane, link.id(), link.address());
        }
        ch.closeFuture().addListener(cf -> onDisconnected(ch));
        scheduleDrain();
    }

    private void onDisconnected(Channel ch) {
        if (channel == ch) {
            channel = null;
        }
        discardQueued();
        if (closed) {
            return;
        }
        if (System.nanoTime() - connectedAtNanos >= stableNanos) {
            failures = 0;
            quickCloses = 0;
            refusalReported = false;
            log.info("Lost {} lane to {} at {}; reconnecting", lane, link.id(), link.address());
        } else if (++quickCloses < QUICK_CLOSES_BEFORE_WARNING) {
            log.info("Lost {} lane to {} at {} shortly after connecting; reconnecting", lane, link.id(),
                    link.address());
        } else if (!refusalReported) {
            // Once, not per attempt: a peer refusing our Hello would otherwise flood the log.
            refusalReported = true;
            log.warn("{} lane to {} at {} closed right after connecting; the peer may be refusing this node "
                    + "(check cluster id and its peer list in its log); retrying with backoff", lane, link.id(),
                    link.address());
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        Duration delay = backoff.delay(failures);
        failures = Math.min(failures + 1, MAX_COUNTED_FAILURES);
        try {
            loop.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The transport is shutting down.
        }
    }

    private void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down; whatever is still queued dies with the transport.
        }
    }

    /** Reacts to the channel's events; the peer never writes on a connection we dialled. */
    private final class LaneHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                scheduleDrain();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            log.warn("Closing {} lane to {} at {}: the peer sent data on a connection it should only read",
                    lane, link.id(), link.address());
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException) {
                log.debug("{} lane to {} failed: {}", lane, link.id(), cause.toString());
            } else {
                log.warn("{} lane to {} failed", lane, link.id(), cause);
            }
            ctx.close();
        }
    }
}
