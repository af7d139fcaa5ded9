package io.raftkv.transport;

import io.raftkv.core.NodeId;
import java.net.InetSocketAddress;

/**
 * A snapshot of the outbound side of one peer link.
 *
 * @param peer            the peer
 * @param address         where it is dialled
 * @param connected       both the control and the bulk connection are established (Hello sent)
 * @param queuedBytes     encoded bytes accepted by {@link RaftTransport#send} and not yet written to the socket;
 *                        never above {@link TransportConfig#maxQueuedBytesPerPeer()}
 * @param droppedMessages messages given up on since start: peer unreachable, queue over its bound, frame too
 *                        large, or lost with a connection that closed
 */
public record PeerStats(NodeId peer, InetSocketAddress address, boolean connected, long queuedBytes,
                        long droppedMessages) {
}
