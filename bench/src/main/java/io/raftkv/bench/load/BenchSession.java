package io.raftkv.bench.load;

import io.raftkv.bench.BenchDirs;
import io.raftkv.bench.load.local.EtcdLocalCluster;
import io.raftkv.bench.load.local.LocalCluster;
import io.raftkv.bench.load.local.MachineLimits;
import io.raftkv.bench.load.local.RaftkvLocalCluster;
import io.raftkv.bench.load.target.BenchTarget;
import io.raftkv.bench.load.target.EtcdTarget;
import io.raftkv.bench.load.target.ReadConsistency;
import io.raftkv.bench.load.target.RaftkvTarget;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Carries out a {@link BenchPlan}: measures the machine's limits and starts the local clusters if asked (in one
 * temporary directory, so that the fsync probe runs on the disk the clusters use), runs every cell against every
 * target, alternating targets cell by cell, and stops and removes what it started.
 */
final class BenchSession {

    /** How long each machine probe runs. */
    private static final Duration PROBE_TIME = Duration.ofSeconds(2);
    /** How long a fresh cluster may take to elect a leader that every member knows. */
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);

    private final BenchPlan plan;
    private final PrintStream log;

    /** @param log where to say what happens, progress lines included (stderr) */
    BenchSession(BenchPlan plan, PrintStream log) {
        this.plan = plan;
        this.log = log;
    }

    BenchReport run() throws IOException, InterruptedException {
        String startedAt = Instant.now().toString();
        Path dir = null;
        MachineLimits limits = null;
        List<LocalCluster> clusters = new ArrayList<>();
        List<BenchTarget> targets = new ArrayList<>();
        List<CellResult> results = new ArrayList<>();
        try {
            if (plan.startClusters()) {
                dir = Files.createTempDirectory(BenchDirs.base(plan.baseDirectory().toString()), "raftkv-bench-");
                log.println("measuring the machine's limits in " + dir + " (fsync, loopback round trip)");
                // Before any cluster runs, so that the probes see the machine as the cells find it: otherwise idle.
                limits = MachineLimits.measure(dir, PROBE_TIME);
                for (String name : plan.targets()) {
                    LocalCluster c = startCluster(name, dir.resolve(name));
                    clusters.add(c);
                    BenchTarget t = c.target(plan.requestTimeout());
                    targets.add(t);
                    c.awaitSettled(t, SETTLE_TIMEOUT);
                    log.println("started " + name + " in " + c.directory() + " (pids " + c.pids() + ")");
                }
            } else {
                targets.add(connect(plan.targets().get(0)));
            }
            CellRunner runner = new CellRunner(plan.requestTimeout(), plan.seed(), log);
            if (plan.startClusters() && !plan.clusterWarmup().isZero()) {
                warmUp(runner, targets);
            }
            for (Cell cell : plan.cells()) {
                for (BenchTarget t : targets) {
                    clusters.forEach(LocalCluster::checkAlive);
                    log.println("== " + t.name() + " " + cell.id() + ": " + cell.describe());
                    ProgressListener progress = plan.progress() ? new ProgressLine(log, t.name() + " " + cell.id())
                            : ProgressListener.NONE;
                    CellResult r = runner.run(t, cell, progress);
                    results.add(r);
                    log.println(summary(r));
                }
            }
        } finally {
            targets.forEach(BenchTarget::close);
            clusters.forEach(LocalCluster::close);
            if (dir != null) {
                if (plan.keepData()) {
                    log.println("cluster data and logs kept in " + dir);
                } else {
                    BenchDirs.deleteRecursively(dir);
                }
            }
        }
        return new BenchReport(startedAt, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), limits, results,
                comparisons(results));
    }

    /**
     * Fresh server JVMs interpret, then compile, their hot paths for tens of seconds, and on 2 cores shared with
     * the load generator a first cell measured during that would report the JIT, not the server (a 64-client put
     * cell read 8,000 ops/s after a 5 s warm-up and 21,000 after 15 s). So every fresh cluster first serves an
     * unreported mix of puts and linearizable gets.
     */
    private void warmUp(CellRunner runner, List<BenchTarget> targets) throws InterruptedException {
        KeySpace keys = new KeySpace(KeySpace.Order.SEQUENTIAL, 10_000, 8);
        Cell warmup = new Cell("warm-up", Workload.mixed(0.3, ReadConsistency.LINEARIZABLE, keys, 256),
                new LoadShape(64, 0, 0, Duration.ZERO, plan.clusterWarmup(), 0), NodeSelection.LEADER);
        for (BenchTarget t : targets) {
            log.println("== " + t.name() + " warm-up (not reported): " + warmup.describe() + " for "
                    + plan.clusterWarmup().toSeconds() + " s");
            CellResult r = runner.run(t, warmup, ProgressListener.NONE);
            log.println(summary(r));
        }
    }

    private LocalCluster startCluster(String name, Path dir) throws IOException {
        return name.equals("etcd") ? EtcdLocalCluster.start(dir, plan.clusterSize(), plan.etcdBinary())
                : RaftkvLocalCluster.start(dir, plan.clusterSize(), plan.raftkvServer());
    }

    private BenchTarget connect(String name) {
        return name.equals("etcd") ? new EtcdTarget(plan.endpoints(), plan.requestTimeout())
                : new RaftkvTarget(plan.endpoints(), plan.httpEndpoints(), plan.requestTimeout());
    }

    private static String summary(CellResult r) {
        if (!r.ran()) {
            return "   not run: " + r.failure();
        }
        RunOutcome o = r.outcome();
        return String.format(Locale.ROOT, "   %,.0f ops/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms, errors %d, leader %s -> %s%s",
                o.throughput(), o.latency().p50(), o.latency().p99(), o.latency().max(), o.errorCount(), r.before(),
                r.after(), r.leaderChanged() ? "  LEADER CHANGED" : "");
    }

    /** raftkv against etcd for every cell both ran. */
    static List<Comparison> comparisons(List<CellResult> results) {
        List<Comparison> out = new ArrayList<>();
        for (CellResult r : results) {
            if (!r.target().equals("raftkv") || !r.ran()) {
                continue;
            }
            results.stream().filter(e -> e.target().equals("etcd") && e.ran() && e.cell().equals(r.cell()))
                    .findFirst().ifPresent(e -> out.add(Comparison.of(r, e)));
        }
        return out;
    }
}
