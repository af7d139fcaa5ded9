package io.raftkv.transport;

import io.netty.channel.Channel;
import io.raftkv.core.NodeId;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accepted connections of one transport: which are still in their handshake, which peer and lane each
 * authenticated one belongs to, which (peer, lane) pairs have reading paused, and how many were refused.
 */
final class InboundConnections {

    private static final Logger log = LoggerFactory.getLogger(InboundConnections.class);

    private record PeerLane(NodeId peer, Lane lane) {
    }

    private final int maxPendingHandshakes;
    private final AtomicInteger pendingHandshakes = new AtomicInteger();
    private final AtomicLong rejected = new AtomicLong();
    private final Map<Channel, RaftMessageCodec.Handshake> authenticated = new ConcurrentHashMap<>();
    private final Set<PeerLane> paused = ConcurrentHashMap.newKeySet();

    InboundConnections(int maxPendingHandshakes) {
        this.maxPendingHandshakes = maxPendingHandshakes;
    }

    /** A connection was accepted; false if too many are already waiting for their Hello. */
    boolean handshakeStarted() {
        if (pendingHandshakes.incrementAndGet() > maxPendingHandshakes) {
            pendingHandshakes.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A connection that {@link #handshakeStarted} admitted finished its handshake, one way or the other. */
    void handshakeEnded() {
        pendingHandshakes.decrementAndGet();
    }

    /**
     * Registers an authenticated connection. An older connection of the same peer and lane is closed: the newer
     * one is the peer's current dial (the old one is typically half-open after a restart), and it bounds what an
     * authenticated peer can make this node buffer to one maximal frame per lane.
     */
    void authenticated(Channel channel, RaftMessageCodec.Handshake handshake) {
        authenticated.forEach((other, existing) -> {
            if (other != channel && existing.sameConnectionAs(handshake) && authenticated.remove(other, existing)) {
                log.info("Closing {} connection from {} at {}: replaced by a newer one from {}", handshake.lane(),
                        handshake.peer(), other.remoteAddress(), channel.remoteAddress());
                other.close();
            }
        });
        authenticated.put(channel, handshake);
        // After the put, so that a concurrent pause either sees this channel or is seen here.
        if (paused.contains(new PeerLane(handshake.peer(), handshake.lane()))) {
            channel.config().setAutoRead(false);
        }
    }

    void closed(Channel channel) {
        authenticated.remove(channel);
    }

    void rejected() {
        rejected.incrementAndGet();
    }

    long rejectedCount() {
        return rejected.get();
    }

    /**
     * Stops (or resumes) reading from {@code peer}'s connections of {@code lane}, now and for connections it
     * opens later. While paused, TCP flow control pushes back on the sender.
     */
    void setPaused(NodeId peer, Lane lane, boolean pause) {
        PeerLane key = new PeerLane(peer, lane);
        if (pause) {
            paused.add(key);
        } else {
            paused.remove(key);
        }
        authenticated.forEach((channel, handshake) -> {
            if (handshake.peer().equals(peer) && handshake.lane() == lane) {
                channel.config().setAutoRead(!pause);
            }
        });
    }

    /** Closes the connections of peers that are no longer members (nor accepted as unconfigured peers). */
    void closeFrom(Predicate<NodeId> gone) {
        authenticated.forEach((channel, handshake) -> {
            if (gone.test(handshake.peer())) {
                channel.close();
            }
        });
    }
}
