package io.raftkv.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs the deterministic simulator over many seeds with faults (3, 5 and 7 nodes) and requires zero
 * violations. {@code -Draftkv.sim.seeds=N} sets how many (2,000 by default, set in the parent POM);
 * {@code -Draftkv.sim.firstSeed=S} where to start; {@code -Draftkv.sim.seed=S} replays one seed with its full
 * event trace.
 */
class RandomizedSimulationTest {

    /**
     * {@code -Draftkv.sim.membership=always} runs every seed with random membership changes, {@code never}
     * none; by default a seed's options decide (half of the seeds).
     */
    private static final String MEMBERSHIP = System.getProperty("raftkv.sim.membership", "mixed").trim();

    private static SimulationOptions adjust(SimulationOptions o) {
        return switch (MEMBERSHIP) {
            case "always" -> o.withMembershipChanges(true);
            case "never" -> o.withMembershipChanges(false);
            case "mixed", "" -> o;
            default -> throw new IllegalArgumentException("raftkv.sim.membership must be always, never or mixed, "
                    + "not '" + MEMBERSHIP + "'");
        };
    }

    private static String replayCommand(SimulationOptions o) {
        return SimulationRunner.replayCommand(o.seed()) + (MEMBERSHIP.equals("mixed") || MEMBERSHIP.isEmpty() ? ""
                : " -Draftkv.sim.membership=" + MEMBERSHIP);
    }

    @Test
    void everySeedKeepsEverySafetyPropertyAndRecoversAfterHealing() {
        String single = System.getProperty("raftkv.sim.seed");
        if (single != null && !single.isBlank()) {
            replay(Long.parseLong(single.trim()));
            return;
        }
        long seeds = Long.getLong("raftkv.sim.seeds", 2000);
        long first = Long.getLong("raftkv.sim.firstSeed", 1);
        int threads = Integer.getInteger("raftkv.sim.threads", Runtime.getRuntime().availableProcessors());
        SimulationRunner.Summary s = SimulationRunner.run(first, seeds, threads, RandomizedSimulationTest::adjust);
        System.out.printf("simulation: %d seeds (%d..%d, 3/5/7 nodes) in %.1f s = %.0f seeds/min; %d events, "
                        + "%d crashes, %d partitions, %d snapshots taken, %d installed on followers, %d reads checked, "
                        + "%d membership changes (%d leaders removing themselves), longest log %d; %d failed%n",
                s.seeds(), first, first + seeds - 1, s.millis() / 1000.0, s.seedsPerMinute(), s.events(),
                s.crashes(), s.partitions(), s.snapshots(), s.installs(), s.reads(), s.membershipChanges(),
                s.leaderRemovals(), s.maxCommitted(), s.failures());
        if (!MEMBERSHIP.equals("never")) {
            assertThat(s.membershipChanges()).as("membership changes exercised").isPositive();
        }
        assertThat(s.installs()).as("snapshot installs exercised").isPositive();
        List<String> failures = new ArrayList<>();
        for (SimulationResult r : s.failed()) {
            String line = "seed " + r.options().seed() + " (" + r.options().describe() + "): " + r.failure()
                    + "\n    replay: " + replayCommand(r.options());
            System.out.println(line);
            failures.add(line);
        }
        assertThat(failures).as("failing seeds").isEmpty();
    }

    /**
     * Seeds that once failed, replayed in every build. 1103, 1118, 1111, 1150 and 3157 broke the simulator's own
     * snapshot bookkeeping when snapshots were added (a snapshot taken from a log a pending install was about to
     * replace; a newer snapshot delivered while the core installed an older one), not the core; they stay as the
     * schedules that reach those corners.
     */
    @Test
    void seedsThatOnceFailedStayGreen() {
        for (long seed : new long[] {1103, 1111, 1118, 1150, 3157}) {
            // Their schedules date from before membership changes: replayed as they were.
            SimulationResult r = Simulation.run(SimulationOptions.forSeed(seed, SimulationOptions.clusterSizeForSeed(seed))
                    .withMembershipChanges(false));
            assertThat(r.failure()).as("seed " + seed + "; replay: " + SimulationRunner.replayCommand(seed)).isNull();
        }
        // With membership changes: 771 livelocked (a voter lagging behind a change asked other nodes, its
        // candidate peer never learned its higher term: voters now answer stale vote requests with their term);
        // 162, 629, 1394, 3562 and 4898 caught the first membership check counting configurations on branches
        // a committed entry had already cut off; 7899 an entry committed under a configuration lost in a crash,
        // on 2 of the 4 voters of the committed one, which the first Durability check wrongly required a majority of.
        for (long seed : new long[] {162, 629, 771, 1394, 3562, 4898, 7899}) {
            SimulationResult r = Simulation.run(SimulationOptions.forSeed(seed, SimulationOptions.clusterSizeForSeed(seed))
                    .withMembershipChanges(true));
            assertThat(r.failure()).as("seed " + seed + "; replay: " + SimulationRunner.replayCommand(seed)
                    + " -Draftkv.sim.membership=always").isNull();
        }
    }

    /**
     * The membership check has teeth: a leader that proposes a change before committing an entry of its own
     * term (the single-server change bug) lets two configurations with disjoint majorities be in force at once,
     * and the simulator must find it.
     */
    @Test
    void aLeaderChangingMembershipBeforeCommittingInItsTermIsCaught() {
        String first = null;
        for (long seed = 1; seed <= 3000 && first == null; seed++) {
            SimulationOptions o = SimulationOptions.forSeed(seed, SimulationOptions.clusterSizeForSeed(seed))
                    .withMembershipChanges(true).without(io.raftkv.core.Mechanism.MEMBERSHIP_CHANGE_AFTER_TERM_COMMIT);
            SimulationResult r = Simulation.run(o);
            if (!r.ok()) {
                first = "seed " + seed + ": " + r.failure();
            }
        }
        System.out.println("membership change before a term commit caught: " + first);
        assertThat(first).as("a violation found without the term-commit rule").isNotNull();
    }

    /**
     * The same simulation with every node on the production {@code DurableStorage} (segment files, hard-state
     * file, recovery) instead of memory: crashes keep a prefix of the sync in progress and tear its last
     * record in the segment file; every restart runs the real recovery, which must find exactly what was
     * durable. Fewer seeds ({@code -Draftkv.sim.storageSeeds}, default 100): each one does real file I/O.
     * The files go to {@code /dev/shm} when it exists (the point is the log's code paths, not disk speed).
     * With membership changes, 22 of seeds 1-100 once failed here because the checker read a crashed node's
     * closed storage; they run in every build.
     */
    @Test
    void realStorageUnderneathKeepsEverySafetyPropertyAcrossTornWrites() throws java.io.IOException {
        long seeds = Long.getLong("raftkv.sim.storageSeeds", 100);
        long first = Long.getLong("raftkv.sim.firstSeed", 1);
        java.nio.file.Path shm = java.nio.file.Path.of("/dev/shm");
        java.nio.file.Path base = java.nio.file.Files.isWritable(shm)
                ? java.nio.file.Files.createTempDirectory(shm, "raftkv-sim")
                : java.nio.file.Files.createTempDirectory("raftkv-sim");
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        long events = 0;
        long crashes = 0;
        try {
            for (long seed = first; seed < first + seeds; seed++) {
                java.nio.file.Path root = base.resolve("seed-" + seed);
                SimulationOptions o = adjust(SimulationOptions.forSeed(seed, SimulationOptions.clusterSizeForSeed(seed)))
                        .withRealStorage(root);
                SimulationResult r = Simulation.run(o);
                events += r.events();
                crashes += r.crashes();
                if (!r.ok()) {
                    failures.add("seed " + seed + " (" + o.describe() + "): " + r.failure());
                }
                deleteTree(root);
            }
        } finally {
            deleteTree(base);
        }
        System.out.printf("simulation on real storage: %d seeds in %.1f s, %d events, %d crashes (each tearing "
                + "the sync in progress), %d failed%n", seeds, (System.nanoTime() - start) / 1e9, events, crashes,
                failures.size());
        failures.forEach(System.out::println);
        assertThat(failures).as("failing seeds on real storage").isEmpty();
    }

    private static void deleteTree(java.nio.file.Path p) throws java.io.IOException {
        if (!java.nio.file.Files.exists(p)) {
            return;
        }
        try (var walk = java.nio.file.Files.walk(p)) {
            for (java.nio.file.Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(f);
            }
        }
    }

    private static void replay(long seed) {
        SimulationOptions o = adjust(SimulationOptions.forSeed(seed, SimulationOptions.clusterSizeForSeed(seed)));
        System.out.println("replaying " + o.describe());
        SimulationResult r = Simulation.run(o, System.out::println);
        System.out.println(r.ok() ? "seed " + seed + " passed" : "seed " + seed + " FAILED: " + r.failure());
        assertThat(r.failure()).as("seed " + seed).isNull();
    }

    /**
     * The checks have teeth: a runtime that acknowledges before its disk sync completes loses acknowledged
     * entries in crashes, and one that does not sync votes lets a node vote twice in a term. The simulator
     * must find both within a few hundred seeds.
     */
    @ParameterizedTest
    @EnumSource(RuntimeShortcut.class)
    void aRuntimeThatCutsCornersIsCaught(RuntimeShortcut shortcut) {
        String first = null;
        for (long seed = 1; seed <= 2000 && first == null; seed++) {
            SimulationOptions o = SimulationOptions.forSeed(seed, SimulationOptions.clusterSizeForSeed(seed))
                    .with(shortcut);
            SimulationResult r = Simulation.run(o);
            if (!r.ok()) {
                first = "seed " + seed + ": " + r.failure();
            }
        }
        System.out.println(shortcut + " caught: " + first);
        assertThat(first).as("a violation found with " + shortcut).isNotNull();
    }
}
