package io.raftkv.cli;

import io.raftkv.cli.torture.TortureRun;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code raftkv torture}: a linearizability-checked torture run of real server processes. */
@Command(name = "torture", mixinStandardHelpOptions = true,
        description = {"Starts a cluster of server processes, runs a mixed workload on hot keys while a nemesis kills,",
                "pauses and partitions nodes, heals, checks the history for linearizability, and writes the history",
                "and a report (report.txt, latency.html) to a directory it prints. Exit 0 if linearizable."})
final class TortureCommand implements Callable<Integer> {

    @Option(names = "--time", defaultValue = "120", description = "Seconds of workload and faults (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--nodes", defaultValue = "3", description = "3 or 5 (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--seed", description = "Seed of the workload and the fault schedule (default: random, printed).")
    Long seed;

    @Option(names = "--clients", defaultValue = "8", description = "Client threads (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--keys", defaultValue = "5", description = "Hot keys (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--dir", description = "Where to put the run (default: torture/<seed>).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        long s = seed != null ? seed : System.nanoTime();
        Path d = dir != null ? dir : Path.of("torture", Long.toString(s));
        System.out.println("torture run, seed " + s + ", in " + d.toAbsolutePath());
        TortureRun.Outcome o = new TortureRun(d, nodes, seconds, s, clients, keys).execute();
        System.out.println(o.summary());
        System.out.println("report: " + d.resolve("report.txt").toAbsolutePath() + ", plot: "
                + d.resolve("latency.html").toAbsolutePath());
        return o.passed() ? 0 : 1;
    }
}
