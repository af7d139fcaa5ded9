package io.raftkv.testkit.sim;

/** A Raft safety or liveness property failed in a simulation; the message names the property and the evidence. */
public final class SafetyViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SafetyViolation(String message) {
        super(message);
    }
}
