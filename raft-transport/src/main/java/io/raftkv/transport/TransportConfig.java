package io.raftkv.transport;

import io.raftkv.core.NodeId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of one node's transport.
 *
 * <p>Every node of a cluster should use the same {@code maxFrameBytes}: a receiver closes a connection on a
 * frame above its own limit, and a sender drops (never sends) a message above its own.
 *
 * @param self                  this node
 * @param clusterId             the cluster's name; connections from another cluster are refused. 1 to 128
 *                              characters from {@code [A-Za-z0-9._-]}
 * @param listen                where to accept peer connections; port 0 binds an ephemeral port (see
 *                              {@link RaftTransport#localAddress()})
 * @param peers                 the other members and their addresses; an entry for {@code self} is ignored, so
 *                              every node may be given the same map. Replaceable later with
 *                              {@link RaftTransport#updatePeers}
 * @param maxFrameBytes         largest frame accepted or sent, excluding the 4-byte length prefix
 * @param maxQueuedBytesPerPeer bound on encoded bytes waiting to be written to one peer (both lanes together);
 *                              at least twice {@code maxFrameBytes} so that a maximal append always fits
 * @param reconnectMin          first reconnection delay
 * @param reconnectMax          cap of the exponentially growing reconnection delay
 * @param handshakeTimeout      how long a dial may take to connect, and how long an accepted connection may take
 *                              to present its Hello before it is closed
 * @param ioThreads             Netty event-loop threads of this transport
 */
public record TransportConfig(NodeId self, String clusterId, InetSocketAddress listen,
                              Map<NodeId, InetSocketAddress> peers, int maxFrameBytes, long maxQueuedBytesPerPeer,
                              Duration reconnectMin, Duration reconnectMax, Duration handshakeTimeout,
                              int ioThreads) {

    public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
    public static final long DEFAULT_MAX_QUEUED_BYTES_PER_PEER = 64L * 1024 * 1024;
    public static final Duration DEFAULT_RECONNECT_MIN = Duration.ofMillis(50);
    public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(2);
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_IO_THREADS = 2;

    /** Largest configurable frame: a whole frame is buffered and decoded at once, so keep frames modest. */
    public static final int MAX_FRAME_BYTES_LIMIT = 256 * 1024 * 1024;

    /** Longest accepted cluster id; it travels in every envelope. */
    public static final int MAX_CLUSTER_ID_LENGTH = 128;

    public TransportConfig {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(reconnectMin, "reconnectMin");
        Objects.requireNonNull(reconnectMax, "reconnectMax");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        validateClusterId(clusterId);
        peers = Map.copyOf(Objects.requireNonNull(peers, "peers"));
        // A frame must at least hold a Hello; below that nothing could ever be said.
        if (maxFrameBytes < 1024 || maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxFrameBytes must be between 1024 and " + MAX_FRAME_BYTES_LIMIT
                    + ", got " + maxFrameBytes);
        }
        if (maxQueuedBytesPerPeer < 2L * maxFrameBytes) {
            throw new IllegalArgumentException("maxQueuedBytesPerPeer (" + maxQueuedBytesPerPeer
                    + ") must be at least twice maxFrameBytes (" + maxFrameBytes + ")");
        }
        if (reconnectMin.isNegative() || reconnectMin.isZero() || reconnectMax.compareTo(reconnectMin) < 0) {
            throw new IllegalArgumentException(
                    "need 0 < reconnectMin <= reconnectMax, got " + reconnectMin + " and " + reconnectMax);
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, got " + handshakeTimeout);
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads must be >= 1, got " + ioThreads);
        }
    }

    /** A configuration with every limit and timing at its default. */
    public static TransportConfig of(NodeId self, String clusterId, InetSocketAddress listen,
                                     Map<NodeId, InetSocketAddress> peers) {
        return new TransportConfig(self, clusterId, listen, peers, DEFAULT_MAX_FRAME_BYTES,
                DEFAULT_MAX_QUEUED_BYTES_PER_PEER, DEFAULT_RECONNECT_MIN, DEFAULT_RECONNECT_MAX,
                DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IO_THREADS);
    }

    public TransportConfig withPeers(Map<NodeId, InetSocketAddress> newPeers) {
        return new TransportConfig(self, clusterId, listen, newPeers, maxFrameBytes, maxQueuedBytesPerPeer,
                reconnectMin, reconnectMax, handshakeTimeout, ioThreads);
    }

    public TransportConfig withListen(InetSocketAddress newListen) {
        return new TransportConfig(self, clusterId, newListen, peers, maxFrameBytes, maxQueuedBytesPerPeer,
                reconnectMin, reconnectMax, handshakeTimeout, ioThreads);
    }

    public TransportConfig withLimits(int newMaxFrameBytes, long newMaxQueuedBytesPerPeer) {
        return new TransportConfig(self, clusterId, listen, peers, newMaxFrameBytes, newMaxQueuedBytesPerPeer,
                reconnectMin, reconnectMax, handshakeTimeout, ioThreads);
    }

    public TransportConfig withReconnect(Duration min, Duration max) {
        return new TransportConfig(self, clusterId, listen, peers, maxFrameBytes, maxQueuedBytesPerPeer, min, max,
                handshakeTimeout, ioThreads);
    }

    public TransportConfig withHandshakeTimeout(Duration timeout) {
        return new TransportConfig(self, clusterId, listen, peers, maxFrameBytes, maxQueuedBytesPerPeer,
                reconnectMin, reconnectMax, timeout, ioThreads);
    }

    public TransportConfig withIoThreads(int threads) {
        return new TransportConfig(self, clusterId, listen, peers, maxFrameBytes, maxQueuedBytesPerPeer,
                reconnectMin, reconnectMax, handshakeTimeout, threads);
    }

    private static void validateClusterId(String clusterId) {
        Objects.requireNonNull(clusterId, "clusterId");
        if (clusterId.isEmpty() || clusterId.length() > MAX_CLUSTER_ID_LENGTH) {
            throw new IllegalArgumentException("cluster id must be 1 to " + MAX_CLUSTER_ID_LENGTH
                    + " characters, got " + clusterId.length());
        }
        for (int i = 0; i < clusterId.length(); i++) {
            char c = clusterId.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException("cluster id '" + clusterId + "' has character '" + c
                        + "'; use letters, digits, '.', '_' or '-'");
            }
        }
    }
}
