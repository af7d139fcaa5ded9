package io.raftkv.kv.client;

/** Why a request failed. */
public enum ErrorCode {
    /** The request is malformed (for example an empty key): fix it, do not retry it as is. */
    BAD_REQUEST(false),
    /** A key, value or response is over its size limit. */
    TOO_LARGE(false),
    /** No node could serve the request before its deadline (no leader, no quorum, nodes unreachable). */
    UNAVAILABLE(true),
    /** The node asked cannot serve the request. The client retries elsewhere, so this is rarely seen. */
    NOT_LEADER(true),
    /** The cluster (or this client's session pool) sheds load: retry after a pause. */
    OVERLOADED(true),
    /** The server failed in a way that is a bug or a broken disk, or answered something unintelligible. */
    INTERNAL(false),
    /** The client is closed. */
    CLOSED(false),
    /** The calling thread was interrupted while it waited (blocking API only). */
    INTERRUPTED(false);

    private final boolean retryable;

    ErrorCode(boolean retryable) {
        this.retryable = retryable;
    }

    /** Whether retrying later may succeed. The client already retried such errors until the deadline. */
    public boolean retryable() {
        return retryable;
    }
}
