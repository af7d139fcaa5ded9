package io.raftkv.testkit.sim;

import io.raftkv.core.SnapshotMeta;
import java.util.Set;

/**
 * A simulated node's snapshot: the model state machine's state (the set of applied command ids) at an index,
 * and a hash chain over the entries applied up to it, so the checker can tell that a node restoring it gets
 * exactly the committed prefix.
 *
 * @param meta        what the snapshot covers
 * @param commands    the command ids applied up to {@code meta.index()}
 * @param appliedHash the hash chain over the applied entries up to {@code meta.index()}
 */
record SimSnapshot(SnapshotMeta meta, Set<Long> commands, long appliedHash) {

    SimSnapshot {
        commands = Set.copyOf(commands);
    }
}
