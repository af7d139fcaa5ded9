package io.raftkv.core;

/**
 * Thrown when the core detects that one of Raft's safety invariants would be broken (for example a request
 * to truncate a committed entry, or a commit index moving backwards). It means a bug, corrupted storage or a
 * misbehaving peer: the runtime must stop this Raft group rather than continue on inconsistent state. The
 * message names the invariant and the values involved.
 */
public final class RaftInvariantViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RaftInvariantViolation(String message) {
        super(message);
    }
}
