package io.raftkv.kv.server.service;

/** How fresh a read must be. */
public enum Consistency {
    /** Reflects every write acknowledged before the read began (ReadIndex). The default. */
    LINEARIZABLE,
    /**
     * Served by the leader from local state while its lease holds (check-quorum with a clock-drift margin);
     * linearizable unless clocks drift beyond the margin. Falls back to {@link #LINEARIZABLE} otherwise.
     */
    LEASE,
    /** Whatever this node has applied: fast, possibly behind. */
    STALE;

    /** Parses {@code linearizable}, {@code lease} or {@code stale} (any case). */
    public static Consistency parse(String s) {
        if (s == null) {
            throw new KvException(ErrorCode.BAD_REQUEST, "consistency must be linearizable, lease or stale");
        }
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new KvException(ErrorCode.BAD_REQUEST, "consistency must be linearizable, lease or stale, not '"
                    + s + "'");
        }
    }
}
