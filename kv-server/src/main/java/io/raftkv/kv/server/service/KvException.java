package io.raftkv.kv.server.service;

import io.raftkv.core.NodeId;

/**
 * A failed key-value request: a code, a message that says what failed and what to do, and for
 * {@link ErrorCode#NOT_LEADER} the leader this node knows of.
 */
public final class KvException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final transient NodeId leaderHint;

    public KvException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public KvException(ErrorCode code, String message, NodeId leaderHint) {
        super(message);
        this.code = code;
        this.leaderHint = leaderHint;
    }

    public ErrorCode code() {
        return code;
    }

    /** The leader known to the node that failed the request, or null. */
    public NodeId leaderHint() {
        return leaderHint;
    }
}
