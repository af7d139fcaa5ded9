package io.raftkv.testkit.sim;

import java.util.SplittableRandom;

/**
 * Everything that shapes one simulated run. {@link #forSeed(long, int)} derives a varied fault schedule from
 * a seed, so that a seed alone replays a run exactly.
 *
 * @param seed              the seed of every random choice in the run
 * @param nodes             cluster size
 * @param preVote           nodes use pre-vote
 * @param checkQuorum       nodes use check-quorum
 * @param faultMicros       virtual time during which faults are injected
 * @param healMicros        virtual time allowed, after healing every fault, for the cluster to elect a leader and
 *                          commit every pending proposal (the liveness bound)
 * @param tickMicros        virtual length of one tick
 * @param electionTicks     election timeout in ticks
 * @param dropRate          probability that a message is lost
 * @param duplicateRate     probability that a message is delivered twice
 * @param reorderRate       probability that a message is delayed long enough to overtake others
 * @param nemesisMeanMicros mean time between fault actions (partition, heal, crash, restart)
 * @param maxCrashed        most nodes down at once
 * @param clientMeanMicros  mean time between client proposals
 * @param readRate          probability that a client action is a linearizable read rather than a proposal
 * @param smallAppends      use tiny append and in-flight limits so batching limits and window pauses are exercised
 * @param disabled          mechanisms switched off (only to prove the checks catch what they guard against)
 * @param shortcuts         runtime mistakes made on purpose (only to prove the checks catch them)
 * @param storageRoot       if not null, every node runs on the real durable storage in a directory under it
 * @param leaseReads        nodes allow lease reads, and half the client's reads use them
 * @param membershipChanges the leader is asked for random membership changes (add a learner, promote it, add
 *                          a voter, remove a follower, remove itself); two spare nodes start empty, outside
 *                          the cluster, so that there are nodes to add
 */
public record SimulationOptions(long seed, int nodes, boolean preVote, boolean checkQuorum, long faultMicros,
                                long healMicros, long tickMicros, int electionTicks, double dropRate,
                                double duplicateRate, double reorderRate, long nemesisMeanMicros, int maxCrashed,
                                long clientMeanMicros, double readRate, boolean smallAppends,
                                java.util.Set<io.raftkv.core.Mechanism> disabled,
                                java.util.Set<RuntimeShortcut> shortcuts, java.nio.file.Path storageRoot,
                                boolean leaseReads, boolean membershipChanges) {

    /** A varied schedule derived from {@code seed} for a cluster of {@code nodes}. */
    public static SimulationOptions forSeed(long seed, int nodes) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        boolean preVote = r.nextInt(10) < 8;
        boolean checkQuorum = r.nextInt(10) < 8;
        double drop = pick(r, 0, 0.01, 0.05, 0.15);
        double dup = pick(r, 0, 0.01, 0.05);
        double reorder = pick(r, 0, 0.02, 0.1);
        long nemesis = pick(r, 40_000, 100_000, 250_000, 600_000);
        long faultPhase = pick(r, 2_000_000, 4_000_000, 8_000_000);
        int maxCrashed = r.nextInt(10) < 7 ? (nodes - 1) / 2 : nodes;
        long client = pick(r, 2_000, 10_000, 30_000);
        return new SimulationOptions(seed, nodes, preVote, checkQuorum, faultPhase, 30_000_000, 10_000, 10, drop,
                dup, reorder, nemesis, maxCrashed, client, 0.2, r.nextInt(4) == 0, java.util.Set.of(),
                java.util.Set.of(), null,
                checkQuorum && r.nextInt(3) == 0, r.nextBoolean());
    }

    /** The same run with {@code mechanism} switched off. */
    public SimulationOptions without(io.raftkv.core.Mechanism mechanism) {
        java.util.Set<io.raftkv.core.Mechanism> d = new java.util.HashSet<>(disabled);
        d.add(mechanism);
        return new SimulationOptions(seed, nodes, preVote, checkQuorum, faultMicros, healMicros, tickMicros,
                electionTicks, dropRate, duplicateRate, reorderRate, nemesisMeanMicros, maxCrashed, clientMeanMicros,
                readRate, smallAppends, java.util.Set.copyOf(d), shortcuts, storageRoot, leaseReads, membershipChanges);
    }

    /** The same run with a runtime mistake made on purpose. */
    public SimulationOptions with(RuntimeShortcut shortcut) {
        java.util.Set<RuntimeShortcut> d = new java.util.HashSet<>(shortcuts);
        d.add(shortcut);
        return new SimulationOptions(seed, nodes, preVote, checkQuorum, faultMicros, healMicros, tickMicros,
                electionTicks, dropRate, duplicateRate, reorderRate, nemesisMeanMicros, maxCrashed, clientMeanMicros,
                readRate, smallAppends, disabled, java.util.Set.copyOf(d), storageRoot, leaseReads, membershipChanges);
    }

    /** The same run on real durable storage, one directory per node under {@code root}. */
    public SimulationOptions withRealStorage(java.nio.file.Path root) {
        return new SimulationOptions(seed, nodes, preVote, checkQuorum, faultMicros, healMicros, tickMicros,
                electionTicks, dropRate, duplicateRate, reorderRate, nemesisMeanMicros, maxCrashed, clientMeanMicros,
                readRate, smallAppends, disabled, shortcuts, root, leaseReads, membershipChanges);
    }

    /** The same run with tiny append and window limits (entries travel one or two per message). */
    public SimulationOptions withSmallAppends() {
        return new SimulationOptions(seed, nodes, preVote, checkQuorum, faultMicros, healMicros, tickMicros,
                electionTicks, dropRate, duplicateRate, reorderRate, nemesisMeanMicros, maxCrashed, clientMeanMicros,
                readRate, true, disabled, shortcuts, storageRoot, leaseReads, membershipChanges);
    }

    /** The same run with random membership changes on or off. */
    public SimulationOptions withMembershipChanges(boolean on) {
        return new SimulationOptions(seed, nodes, preVote, checkQuorum, faultMicros, healMicros, tickMicros,
                electionTicks, dropRate, duplicateRate, reorderRate, nemesisMeanMicros, maxCrashed, clientMeanMicros,
                readRate, smallAppends, disabled, shortcuts, storageRoot, leaseReads, on);
    }

    /** Nodes that start outside the cluster, empty, to be added by membership changes. */
    public int spareNodes() {
        return membershipChanges ? 2 : 0;
    }

    private static double pick(SplittableRandom r, double... choices) {
        return choices[r.nextInt(choices.length)];
    }

    private static long pick(SplittableRandom r, long... choices) {
        return choices[r.nextInt(choices.length)];
    }

    /** The cluster size a seed runs with in a mixed run over 3, 5 and 7 nodes. */
    public static int clusterSizeForSeed(long seed) {
        return 3 + 2 * (int) Math.floorMod(seed, 3L);
    }

    /** A one-line description for logs. */
    public String describe() {
        return "seed=" + seed + " nodes=" + nodes + " preVote=" + preVote + " checkQuorum=" + checkQuorum
                + " drop=" + dropRate + " dup=" + duplicateRate + " reorder=" + reorderRate + " nemesisMean="
                + nemesisMeanMicros / 1000 + "ms maxCrashed=" + maxCrashed + " clientMean=" + clientMeanMicros / 1000
                + "ms smallAppends=" + smallAppends + (disabled.isEmpty() ? "" : " disabled=" + disabled)
                + (shortcuts.isEmpty() ? "" : " shortcuts=" + shortcuts)
                + (storageRoot == null ? "" : " realStorage=" + storageRoot) + (leaseReads ? " leaseReads" : "")
                + (membershipChanges ? " membershipChanges" : "");
    }
}
