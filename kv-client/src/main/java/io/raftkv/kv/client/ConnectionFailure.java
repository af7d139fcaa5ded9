package io.raftkv.kv.client;

/**
 * A request got no answer from a connection: it could not connect, the connection was lost, or no answer came
 * within the attempt's time. Internal: callers see {@link KvClientException} once retries are exhausted.
 */
final class ConnectionFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean maybeDelivered;

    /**
     * @param maybeDelivered false only when the request certainly never left this client (no connection); a
     *                       write that may have been delivered has an unknown outcome
     */
    ConnectionFailure(String message, boolean maybeDelivered) {
        // No stack trace: an expected event, possibly one per request while a node is down.
        super(message, null, false, false);
        this.maybeDelivered = maybeDelivered;
    }

    boolean maybeDelivered() {
        return maybeDelivered;
    }
}
