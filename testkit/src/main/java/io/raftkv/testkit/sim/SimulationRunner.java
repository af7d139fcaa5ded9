package io.raftkv.testkit.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs many seeds of the {@link Simulation}, spread over 3, 5 and 7 nodes and over worker threads, and
 * reports every failing seed with the command that replays it.
 *
 * <p>From the command line (see docs/testing.md):
 * {@code ./mvnw -q -pl testkit -am test -Dtest=RandomizedSimulationTest -Draftkv.sim.seeds=100000}
 */
public final class SimulationRunner {

    /** The outcome of a batch of seeds. */
    public record Summary(long seeds, long failures, List<SimulationResult> failed, long events, long millis,
                          long maxCommitted, long crashes, long partitions, long reads, long snapshots,
                          long installs, long membershipChanges, long leaderRemovals) {

        /** Seeds per minute of wall-clock time. */
        public double seedsPerMinute() {
            return millis == 0 ? 0 : seeds * 60_000.0 / millis;
        }
    }

    private SimulationRunner() {
    }

    /** The command that replays {@code seed} with a full event trace. */
    public static String replayCommand(long seed) {
        return "./mvnw -q -pl testkit -am test -Dsurefire.failIfNoSpecifiedTests=false "
                + "-Dtest=RandomizedSimulationTest -Draftkv.sim.seed=" + seed;
    }

    /**
     * Runs seeds {@code firstSeed .. firstSeed + count - 1} on {@code threads} threads; each seed's cluster
     * size is {@link SimulationOptions#clusterSizeForSeed}. Keeps at most 20 failures in full.
     */
    public static Summary run(long firstSeed, long count, int threads) {
        return run(firstSeed, count, threads, java.util.function.UnaryOperator.identity());
    }

    /** Like {@link #run(long, long, int)}, with every seed's options passed through {@code adjust} first. */
    public static Summary run(long firstSeed, long count, int threads,
                              java.util.function.UnaryOperator<SimulationOptions> adjust) {
        long start = System.nanoTime();
        AtomicLong next = new AtomicLong(firstSeed);
        long end = firstSeed + count;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<long[]>> futures = new ArrayList<>();
        List<SimulationResult> failed = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong failures = new AtomicLong();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                long[] totals = new long[9];
                for (long seed = next.getAndIncrement(); seed < end; seed = next.getAndIncrement()) {
                    SimulationOptions o = adjust.apply(
                            SimulationOptions.forSeed(seed, SimulationOptions.clusterSizeForSeed(seed)));
                    SimulationResult r = Simulation.run(o);
                    totals[0] += r.events();
                    totals[1] = Math.max(totals[1], r.committed());
                    totals[2] += r.crashes();
                    totals[3] += r.partitions();
                    totals[4] += r.reads();
                    totals[5] += r.snapshots();
                    totals[6] += r.installs();
                    totals[7] += r.membershipChanges();
                    totals[8] += r.leaderRemovals();
                    if (!r.ok()) {
                        failures.incrementAndGet();
                        if (failed.size() < 20) {
                            failed.add(r);
                        }
                    }
                }
                return totals;
            }));
        }
        long events = 0;
        long maxCommitted = 0;
        long crashes = 0;
        long partitions = 0;
        long reads = 0;
        long snapshots = 0;
        long installs = 0;
        long membershipChanges = 0;
        long leaderRemovals = 0;
        try {
            for (Future<long[]> f : futures) {
                long[] t = f.get();
                events += t[0];
                maxCommitted = Math.max(maxCommitted, t[1]);
                crashes += t[2];
                partitions += t[3];
                reads += t[4];
                snapshots += t[5];
                installs += t[6];
                membershipChanges += t[7];
                leaderRemovals += t[8];
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running seeds", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("a simulation worker failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        List<SimulationResult> sorted = new ArrayList<>(failed);
        sorted.sort(java.util.Comparator.comparingLong(r -> r.options().seed()));
        return new Summary(count, failures.get(), sorted, events, millis, maxCommitted, crashes, partitions, reads,
                snapshots, installs, membershipChanges, leaderRemovals);
    }
}
