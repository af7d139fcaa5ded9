package io.raftkv.kv.client;

import java.util.Objects;
import java.util.Optional;

/**
 * A failed request: a typed {@link ErrorCode}, a message saying what failed, for writes whether the outcome is
 * unknown, and the leader the last node named, if any.
 *
 * <p>When {@link #outcomeUnknown()} is true, the write may or may not have been applied (an answer was lost or
 * the deadline passed while it was in flight). Writes carry a client session, so the write was applied at most
 * once; read the key to learn which.
 */
public final class KvClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final boolean outcomeUnknown;
    private final String leaderId;

    public KvClientException(ErrorCode code, String message) {
        this(code, message, false, null, null);
    }

    public KvClientException(ErrorCode code, String message, boolean outcomeUnknown, String leaderId,
                             Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.outcomeUnknown = outcomeUnknown;
        this.leaderId = leaderId == null || leaderId.isEmpty() ? null : leaderId;
    }

    /** Why it failed. */
    public ErrorCode code() {
        return code;
    }

    /** True when a write may or may not have been applied. Always false for reads. */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }

    /** The leader named by the last node that answered, if it named one. */
    public Optional<String> leaderId() {
        return Optional.ofNullable(leaderId);
    }

    /** The same failure, thrown again from the caller's thread so its stack trace shows the caller. */
    KvClientException rethrown() {
        return new KvClientException(code, getMessage(), outcomeUnknown, leaderId, this);
    }
}
