package io.raftkv.kv.client;

/** How fresh a read must be. */
public enum Consistency {
    /** Reflects every write acknowledged before the read began (ReadIndex; any node can serve it). The default. */
    LINEARIZABLE,
    /**
     * Served by the leader from its lease without a heartbeat round; linearizable unless clocks drift beyond the
     * server's margin. Elsewhere it is a linearizable read.
     */
    LEASE,
    /** Whatever the node that answers has applied: fast, possibly behind, works without a quorum. */
    STALE
}
