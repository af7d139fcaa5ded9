package io.raftkv.testkit.sim;

/**
 * The outcome of one simulated run.
 *
 * @param options      what was run
 * @param failure      the violated property, or null if every check passed
 * @param events       events processed
 * @param virtualMicros virtual time simulated
 * @param committed    highest index applied anywhere
 * @param leaderTerms  distinct terms that had a leader
 * @param crashes      node crashes injected
 * @param partitions   partitions injected
 * @param reads        linearizable reads completed and checked
 * @param snapshots    snapshots taken (each compacting the log)
 * @param installs     snapshots installed on followers from a leader
 * @param membershipChanges membership changes the leader accepted (each a configuration entry appended)
 * @param leaderRemovals    of those, changes in which the leader removed itself
 */
public record SimulationResult(SimulationOptions options, String failure, long events, long virtualMicros,
                               long committed, int leaderTerms, int crashes, int partitions, int reads,
                               int snapshots, int installs, int membershipChanges, int leaderRemovals) {

    public boolean ok() {
        return failure == null;
    }
}
