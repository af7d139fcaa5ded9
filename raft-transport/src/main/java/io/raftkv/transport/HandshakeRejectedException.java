package io.raftkv.transport;

/**
 * The first frame of a connection was not an acceptable Hello: not a Hello at all, another cluster, another
 * protocol version, or a node id that is not a configured peer.
 */
public final class HandshakeRejectedException extends PeerProtocolException {

    private static final long serialVersionUID = 1L;

    public HandshakeRejectedException(String message) {
        super(message);
    }
}
