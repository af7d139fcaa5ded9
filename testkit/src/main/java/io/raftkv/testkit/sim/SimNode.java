package io.raftkv.testkit.sim;

import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.RaftNode;
import io.raftkv.core.Ready;
import java.util.HashSet;
import java.util.Set;

/**
 * One simulated server: a real {@link RaftNode} over a {@link SimDisk} (which keeps only what a completed sync
 * wrote, plus whatever part of an interrupted sync a crash left), and a model state machine (the set of applied command ids). A crash
 * throws away the core and the state machine; a restart builds both again from the disk.
 */
final class SimNode {

    final NodeId id;
    final RaftConfig config;
    final SimDisk disk;
    RaftNode raft;
    /** Bumped on every crash, so disk syncs scheduled before it are ignored. */
    int epoch;
    /** The Ready whose disk write is in progress, or null. */
    Ready syncing;
    long appliedIndex;
    /** Term of the entry at {@code appliedIndex}. */
    long appliedTerm;
    /** Hash chain over the entries applied (or restored from a snapshot) up to {@code appliedIndex}. */
    long appliedHash;
    final Set<Long> appliedCommands = new HashSet<>();
    /** Snapshots delivered from leaders, waiting for the core to decide whether to install one. */
    final java.util.Map<io.raftkv.core.SnapshotMeta, SimSnapshot> staged = new java.util.HashMap<>();
    /** The snapshot the Ready being synced installs, or null. */
    SimSnapshot installing;
    int restarts;
    /** While down: the configuration its disk would restart with (computed once per crash), or null. */
    InvariantChecker.ConfigurationInForce configurationOnDisk;

    SimNode(NodeId id, RaftConfig config, SimDisk disk) {
        this.id = id;
        this.config = config;
        this.disk = disk;
    }

    boolean up() {
        return raft != null;
    }
}
