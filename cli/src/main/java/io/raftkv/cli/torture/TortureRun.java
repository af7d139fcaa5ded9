package io.raftkv.cli.torture;

import io.raftkv.kv.client.KvClient;
import io.raftkv.testkit.linearizability.CheckResult;
import io.raftkv.testkit.linearizability.LinearizabilityChecker;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One torture run: a cluster of real server processes, client threads recording a history of operations on hot
 * keys, a nemesis breaking the cluster on a seeded schedule; then everything heals, the cluster must settle,
 * every key is read once more, and the history is checked for linearizability (which also catches any
 * acknowledged write that went missing: a later read would not match). Writes {@code history.jsonl},
 * {@code nemesis.txt}, {@code report.txt} and {@code latency.html} to the run directory.
 *
 * @param dir      where the run's data, logs, history and report go
 * @param nodes    cluster size
 * @param seconds  how long the workload and the nemesis run
 * @param seed     seeds the workload and the nemesis schedule
 * @param clients  client threads
 * @param keys     hot keys
 */
public record TortureRun(Path dir, int nodes, int seconds, long seed, int clients, int keys) {

    /** The outcome: whether the history passed, and a one-line summary. */
    public record Outcome(boolean passed, String summary, Path dir) {
    }

    public Outcome execute() throws Exception {
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        try (ProcessCluster cluster = new ProcessCluster(dir, nodes);
             HistoryRecorder history = new HistoryRecorder(dir.resolve("history.jsonl"))) {
            for (int i = 0; i < nodes; i++) {
                cluster.start(i);
            }
            awaitSettled(cluster, Duration.ofSeconds(60), "the cluster did not elect a leader at start");
            Workload workload;
            Nemesis nemesis = new Nemesis(cluster, seed);
            try (KvClient client = KvClient.builder().endpoints(cluster.clientEndpoints())
                    .requestTimeout(Duration.ofSeconds(4)).build()) {
                workload = new Workload(client, history, keys);
                workload.start(clients, seed);
                nemesis.start();
                long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
                while (System.nanoTime() < end) {
                    Thread.sleep(200); // the run lasts a fixed wall-clock time; nothing to wait on but the clock
                }
                nemesis.stop();
                workload.stop();
                nemesis.healAll();
                for (int i = 0; i < nodes; i++) {
                    if (!cluster.alive(i)) {
                        cluster.start(i);
                    }
                }
                long healedAt = System.nanoTime();
                awaitSettled(cluster, Duration.ofSeconds(90), "the cluster did not recover after healing");
                long recoveryMillis = (System.nanoTime() - healedAt) / 1_000_000;
                workload.finalReads();
                history.close();
                CheckResult result = LinearizabilityChecker.check(dir.resolve("history.jsonl"));
                String report = report(workload.samples(), nemesis.timeline(), result, t0, recoveryMillis);
                Files.writeString(dir.resolve("report.txt"), report);
                writePlot(workload.samples(), nemesis.timeline(), t0);
                boolean passed = result instanceof CheckResult.Linearizable;
                return new Outcome(passed, report.lines().filter(l -> l.startsWith("verdict:")).findFirst()
                        .orElse("verdict: ?") + " (" + dir + ")", dir);
            }
        }
    }

    private static void awaitSettled(ProcessCluster cluster, Duration limit, String failure) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!cluster.settled()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(failure + " within " + limit.toSeconds() + " s");
            }
            Thread.sleep(200); // polling other processes: there is no event to wait on
        }
    }

    private String report(List<Workload.Sample> samples, List<Nemesis.Fault> faults, CheckResult result, long t0,
                          long recoveryMillis) {
        StringBuilder r = new StringBuilder();
        r.append("torture run: ").append(nodes).append(" nodes, ").append(seconds).append(" s, seed ").append(seed)
                .append(", ").append(clients).append(" clients, ").append(keys).append(" keys\n");
        Map<String, Integer> outcomes = new TreeMap<>();
        for (Workload.Sample s : samples) {
            outcomes.merge(s.outcome(), 1, Integer::sum);
            outcomes.merge(s.f() + " " + s.outcome(), 1, Integer::sum);
        }
        r.append("operations: ").append(samples.size()).append(" (ok ").append(outcomes.getOrDefault("ok", 0))
                .append(", fail ").append(outcomes.getOrDefault("fail", 0)).append(", info ")
                .append(outcomes.getOrDefault("info", 0)).append(")\n");
        outcomes.forEach((k, v) -> {
            if (k.contains(" ")) {
                r.append("  ").append(k).append(": ").append(v).append('\n');
            }
        });
        Map<String, Integer> kinds = new TreeMap<>();
        faults.forEach(f -> kinds.merge(f.kind(), 1, Integer::sum));
        r.append("faults injected: ").append(faults.size()).append(' ').append(kinds).append('\n');
        for (Nemesis.Fault f : faults) {
            r.append(String.format("  %7.1f s - %7.1f s  %-15s %s%n", (f.startNanos() - t0) / 1e9,
                    (f.endNanos() - t0) / 1e9, f.kind(), f.detail()));
        }
        // Availability: the share of one-second intervals in which at least one write succeeded.
        long first = samples.stream().mapToLong(Workload.Sample::startNanos).min().orElse(t0);
        long last = samples.stream().mapToLong(s -> s.startNanos() + s.latencyNanos()).max().orElse(t0);
        int buckets = (int) Math.max(1, (last - first) / 1_000_000_000L);
        boolean[] wrote = new boolean[buckets + 1];
        for (Workload.Sample s : samples) {
            if (!s.f().equals("get") && s.outcome().equals("ok")) {
                wrote[(int) Math.min(buckets, (s.startNanos() + s.latencyNanos() - first) / 1_000_000_000L)] = true;
            }
        }
        int available = 0;
        for (int i = 0; i < buckets; i++) {
            if (wrote[i]) {
                available++;
            }
        }
        r.append(String.format("availability: %.1f%% of %d one-second intervals had a successful write%n",
                100.0 * available / buckets, buckets));
        r.append("recovery after healing: ").append(recoveryMillis).append(" ms until every node applied everything\n");
        // The summary of a violation includes its explanation (the operations that cannot be ordered).
        r.append("check: ").append(result.summary()).append('\n');
        r.append("verdict: ").append(result instanceof CheckResult.Linearizable ? "PASS" : "FAIL")
                .append(String.format(" — %d ops (ok %d / fail %d / info %d), %d faults %s, availability %.1f%%, %s",
                        samples.size(), outcomes.getOrDefault("ok", 0), outcomes.getOrDefault("fail", 0),
                        outcomes.getOrDefault("info", 0), faults.size(), kinds, 100.0 * available / buckets,
                        result.summary().lines().findFirst().orElse("")))
                .append('\n');
        return r.toString();
    }

    /** Latency over time as an SVG in an HTML page, fault intervals shaded, failed and unknown operations marked. */
    private void writePlot(List<Workload.Sample> samples, List<Nemesis.Fault> faults, long t0) throws IOException {
        double width = 1200;
        double height = 400;
        double span = Math.max(1, seconds + 5);
        double maxMs = 5000;
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(dir.resolve("latency.html")))) {
            w.printf("<!doctype html><meta charset=utf-8><title>raftkv torture seed %d</title>%n", seed);
            w.printf("<h3>Latency over time (log scale, 0.1 ms to 5 s); shaded: faults; red: failed; orange: "
                    + "unknown outcome; blue: ok (a sample of at most about 40,000)</h3>%n"
                    + "<svg width=%.0f height=%.0f style='border:1px solid #ccc'>%n", width, height + 40);
            for (Nemesis.Fault f : faults) {
                double x1 = (f.startNanos() - t0) / 1e9 / span * width;
                double x2 = (f.endNanos() - t0) / 1e9 / span * width;
                w.printf("<rect x=%.1f y=0 width=%.1f height=%.0f fill='#fdd' opacity=0.6><title>%s %s</title></rect>%n",
                        x1, Math.max(1, x2 - x1), height, f.kind(), f.detail());
                w.printf("<text x=%.1f y=%.0f font-size=10>%s</text>%n", x1, height + 12, f.kind());
            }
            // A long run has millions of operations: plot every failed or unknown one and a sample of the rest,
            // so that the page stays small enough for a browser.
            long okCount = samples.stream().filter(x -> x.outcome().equals("ok")).count();
            long stride = Math.max(1, okCount / 40_000);
            long okSeen = 0;
            for (Workload.Sample s : samples) {
                if (s.outcome().equals("ok") && okSeen++ % stride != 0) {
                    continue;
                }
                double x = (s.startNanos() - t0) / 1e9 / span * width;
                double ms = Math.max(0.1, Math.min(maxMs, s.latencyNanos() / 1e6));
                double y = height - (Math.log10(ms) + 1) / (Math.log10(maxMs) + 1) * height;
                String color = s.outcome().equals("ok") ? "#36c" : s.outcome().equals("fail") ? "#c00" : "#f90";
                w.printf("<circle cx=%.1f cy=%.1f r=1.2 fill='%s'/>%n", x, y, color);
            }
            for (double ms : new double[] {0.1, 1, 10, 100, 1000}) {
                double y = height - (Math.log10(ms) + 1) / (Math.log10(maxMs) + 1) * height;
                w.printf("<line x1=0 x2=%.0f y1=%.1f y2=%.1f stroke='#eee'/><text x=2 y=%.1f font-size=10>%s</text>%n",
                        width, y, y, y - 2, ms < 1 ? "0.1 ms" : ms < 1000 ? (int) ms + " ms" : "1 s");
            }
            for (int sec = 0; sec <= span; sec += 10) {
                w.printf("<text x=%.1f y=%.0f font-size=10>%ds</text>%n", sec / span * width, height + 30, sec);
            }
            w.println("</svg>");
        }
    }
}
