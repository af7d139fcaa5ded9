package io.raftkv.transport;

/** A frame that does not decode to a valid message for this connection (bad encoding, range, sender, receiver). */
public final class MalformedMessageException extends PeerProtocolException {

    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String message) {
        super(message);
    }

    public MalformedMessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
