package io.raftkv.bench.load;

import io.raftkv.bench.load.local.MachineLimits;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The report for people: the machine's limits, one row per cell and target, the server side, the ratios. */
final class TableReport {

    private TableReport() {
    }

    static void print(BenchReport report, PrintStream out) {
        MachineLimits limits = report.limits();
        if (limits != null) {
            out.printf(Locale.ROOT, "machine: %d cores, %s%n", report.cores(), report.java());
            out.printf(Locale.ROOT, "disk (%s): %,.0f fsyncs/s (4 KiB write into a preallocated file + "
                            + "fdatasync), p50 %.3f ms, p99 %.3f ms%n", limits.directory(), limits.fsyncsPerSecond(),
                    limits.fsyncP50Ms(), limits.fsyncP99Ms());
            out.printf(Locale.ROOT, "the same disk shared by %d writers at once (one per replica): p50 %.3f ms, "
                    + "p99 %.3f ms per fsync%n", MachineLimits.REPLICAS, limits.sharedFsyncP50Ms(),
                    limits.sharedFsyncP99Ms());
            out.printf(Locale.ROOT, "loopback TCP round trip: p50 %.3f ms, p99 %.3f ms%n", limits.rttP50Ms(),
                    limits.rttP99Ms());
            out.printf(Locale.ROOT, "floor of a single-client put (1 fsync + 1 round trip): %.3f ms%n",
                    limits.floorMs());
            out.println();
        }
        out.printf("%-7s %-24s %-56s %10s %7s %8s %8s %8s %8s %8s %7s  %s%n", "target", "cell", "workload", "ops/s",
                "MB/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "leader@term before -> after");
        for (CellResult r : report.results()) {
            if (!r.ran()) {
                out.printf("%-7s %-24s %-56s not run: %s%n", r.target(), r.cell().id(), r.cell().describe(), r.failure());
                continue;
            }
            RunOutcome o = r.outcome();
            LatencySummary l = o.latency();
            out.printf(Locale.ROOT, "%-7s %-24s %-56s %,10.0f %7.2f %8.2f %8.2f %8.2f %8.2f %8.1f %,7d  %s -> %s%s%n",
                    r.target(), r.cell().id(), r.cell().describe(), o.throughput(), r.megabytesPerSecond(), l.p50(),
                    l.p90(), l.p99(), l.p999(), l.max(), o.errorCount(), r.before(), r.after(),
                    r.leaderChanged() ? "  LEADER CHANGED" : "");
        }
        printErrors(report, out);
        printServerSide(report, out);
        printComparisons(report, out);
        if (limits != null) {
            singleClientFloor(report, limits, out);
        }
        if (report.leaderChanged()) {
            out.println();
            out.println("LEADER CHANGED during at least one cell: those figures include an election; run again.");
        }
    }

    private static void printErrors(BenchReport report, PrintStream out) {
        boolean header = false;
        for (CellResult r : report.results()) {
            if (r.ran() && r.outcome().errorCount() > 0) {
                if (!header) {
                    out.println();
                    out.println("errors by kind:");
                    header = true;
                }
                out.printf("  %-7s %-24s %s%n", r.target(), r.cell().id(), r.outcome().errors());
            }
        }
    }

    private static void printServerSide(BenchReport report, PrintStream out) {
        out.println();
        out.println("server side (leader; commit index growth and the figures its counters give):");
        Map<String, Set<String>> missing = new java.util.TreeMap<>();
        for (CellResult r : report.results()) {
            if (!r.ran()) {
                continue;
            }
            StringBuilder line = new StringBuilder();
            r.server().leader().ifPresentOrElse(leader -> {
                line.append(String.format(Locale.ROOT, "commits %,.0f/s", leader.committedPerSecond()));
                leader.figures().forEach((name, v) -> line.append(String.format(Locale.ROOT, "; %s %.2f", name, v)));
                long maxLag = r.server().nodes().stream().mapToLong(ServerView.NodeView::applyLag).max().orElse(0);
                line.append(String.format(Locale.ROOT, "; max apply lag %,d", maxLag));
            }, () -> line.append("no leader answered before and after"));
            out.printf("  %-7s %-24s %s%n", r.target(), r.cell().id(), line);
            missing.computeIfAbsent(r.target(), t -> new LinkedHashSet<>()).addAll(r.server().missingCounters());
        }
        missing.forEach((target, counters) -> {
            if (!counters.isEmpty()) {
                out.println("  " + target + ": counters not read" + (target.equals("raftkv")
                        ? " (give the members' HTTP addresses with --http-endpoints)" : "") + ": "
                        + String.join(", ", new ArrayList<>(counters)));
            }
        });
    }

    private static void printComparisons(BenchReport report, PrintStream out) {
        if (report.comparisons().isEmpty()) {
            return;
        }
        out.println();
        out.println("raftkv vs etcd, same session (throughput ratio raftkv/etcd; p99 ratio etcd/raftkv; above 1 "
                + "favours raftkv):");
        out.printf("  %-24s %12s %12s %7s %11s %11s %7s%n", "cell", "raftkv ops/s", "etcd ops/s", "ratio",
                "raftkv p99", "etcd p99", "ratio");
        for (Comparison c : report.comparisons()) {
            out.printf(Locale.ROOT, "  %-24s %,12.0f %,12.0f %7s %8.2f ms %8.2f ms %7s%n", c.cellId(),
                    c.raftkvOpsPerSec(), c.etcdOpsPerSec(), ratio(c.throughputRatio()), c.raftkvP99Ms(), c.etcdP99Ms(),
                    ratio(c.p99Ratio()));
        }
    }

    private static String ratio(Double r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    /** Single-client put p50 against the floor, the ratio issue 8 sets a goal for. */
    private static void singleClientFloor(BenchReport report, MachineLimits limits, PrintStream out) {
        List<String> lines = new ArrayList<>();
        for (CellResult r : report.results()) {
            if (r.ran() && r.cell().load().clients() == 1 && r.cell().workload().kind() == Workload.Kind.PUT
                    && r.cell().nodes() == NodeSelection.LEADER && limits.floorMs() > 0) {
                double p50 = r.outcome().latency().p50();
                lines.add(String.format(Locale.ROOT, "  %-7s %-24s p50 %.3f ms = %.1f x the floor, %.1f x the "
                                + "shared-disk floor", r.target(), r.cell().id(), p50, p50 / limits.floorMs(),
                        p50 / limits.sharedDiskFloorMs()));
            }
        }
        if (!lines.isEmpty()) {
            out.println();
            out.println(String.format(Locale.ROOT, "single-client put against the floor (%.3f ms) and the shared-disk "
                    + "floor (%.3f ms: %d replicas fsyncing on one disk):", limits.floorMs(), limits.sharedDiskFloorMs(),
                    MachineLimits.REPLICAS));
            lines.forEach(out::println);
        }
    }
}
