package io.raftkv.bench.load.target;

/**
 * How fresh a benchmark read must be, named for the guarantee so that one workload can be run against different
 * systems: each target maps it to its own read mode, or refuses one it does not have.
 */
public enum ReadConsistency {
    /** Reflects every write acknowledged before the read began (raftkv ReadIndex; etcd's default range). */
    LINEARIZABLE,
    /** raftkv's leader-lease read: linearizable while clocks behave, without a heartbeat round. etcd has none. */
    LEASE,
    /** Whatever the answering node has applied (raftkv {@code stale}; etcd {@code serializable=true}). */
    STALE
}
