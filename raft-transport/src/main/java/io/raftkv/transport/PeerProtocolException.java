package io.raftkv.transport;

/**
 * A peer broke the wire protocol. The connection it came on is closed; the message (and everything after it on
 * that connection) is discarded. The message text names the offending field or value and is safe to log: values
 * taken from the wire are truncated and stripped of control characters.
 */
public abstract sealed class PeerProtocolException extends Exception
        permits MalformedMessageException, HandshakeRejectedException {

    private static final long serialVersionUID = 1L;

    PeerProtocolException(String message) {
        super(message);
    }

    PeerProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
