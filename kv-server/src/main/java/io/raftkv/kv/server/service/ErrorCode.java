package io.raftkv.kv.server.service;

/** Why a key-value request failed, with the HTTP status each maps to. */
public enum ErrorCode {
    /** The request is malformed: fix it, do not retry it as is. */
    BAD_REQUEST(400),
    /** A key or value is over its size limit. */
    TOO_LARGE(413),
    /** No leader or no quorum within the request's timeout; retry later. */
    UNAVAILABLE(503),
    /** This node is not the leader (the client protocol tells the client where the leader is). */
    NOT_LEADER(503),
    /** The server is shedding load; retry after a pause. */
    OVERLOADED(503),
    /** The server failed in a way that is a bug or a broken disk. */
    INTERNAL(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    /** The HTTP status for this error. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The code as it appears in JSON and on the wire: lower case with underscores. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
