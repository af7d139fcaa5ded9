package io.raftkv.core;

/**
 * A read barrier that has been passed: the node has applied at least up to {@code index}, which a quorum
 * confirmed as the commit index at a moment after the read was requested, so a read of local state now is
 * linearizable.
 *
 * @param requestId the id the runtime gave to {@link RaftNode#readIndex}
 * @param index     the confirmed read index
 */
public record ReadState(long requestId, long index) {
}
