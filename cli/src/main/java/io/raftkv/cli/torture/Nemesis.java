package io.raftkv.cli.torture;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Breaks the cluster on a seeded schedule: every few seconds one fault (SIGKILL and later restart of a node or
 * the leader, SIGSTOP/SIGCONT of a node or the leader, the leader isolated, a majority/minority split, a bridge,
 * message loss), held for a few seconds, then healed. Records the timeline for the report.
 */
final class Nemesis {

    /** One fault: what, when it started and ended (monotonic nanoseconds), and on which nodes. */
    record Fault(String kind, String detail, long startNanos, long endNanos) {
    }

    private final ProcessCluster cluster;
    private final SplittableRandom random;
    private final List<Fault> timeline = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    Nemesis(ProcessCluster cluster, long seed) {
        this.cluster = cluster;
        this.random = new SplittableRandom(seed ^ 0x4E454D45L);
    }

    void start() {
        thread = new Thread(this::run, "torture-nemesis");
        thread.setDaemon(true);
        thread.start();
    }

    void stop() throws InterruptedException {
        running.set(false);
        thread.interrupt();
        thread.join(60_000);
    }

    synchronized List<Fault> timeline() {
        return new ArrayList<>(timeline);
    }

    private synchronized void record(Fault f) {
        timeline.add(f);
    }

    private void run() {
        try {
            while (running.get()) {
                Thread.sleep(2_000 + random.nextInt(3_000)); // the quiet time between faults is part of the schedule
                if (!running.get()) {
                    return;
                }
                inject();
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (Exception e) {
            record(new Fault("nemesis-error", e.toString(), System.nanoTime(), System.nanoTime()));
        }
    }

    private void inject() throws Exception {
        int n = cluster.size();
        int leader = cluster.leader();
        int victim = leader >= 0 && random.nextBoolean() ? leader : random.nextInt(n);
        long hold = 2_000 + random.nextInt(4_000);
        long start = System.nanoTime();
        int kind = random.nextInt(6);
        switch (kind) {
            case 0 -> {
                cluster.kill(victim);
                Thread.sleep(hold);
                cluster.start(victim);
                record(new Fault("kill", cluster.id(victim) + (victim == leader ? " (leader)" : ""), start,
                        System.nanoTime()));
            }
            case 1 -> {
                cluster.signal(victim, true);
                Thread.sleep(hold);
                cluster.signal(victim, false);
                record(new Fault("pause", cluster.id(victim) + (victim == leader ? " (leader)" : ""), start,
                        System.nanoTime()));
            }
            case 2 -> {
                if (leader < 0) {
                    return;
                }
                cluster.fault(leader, "POST", "/isolate", "{\"direction\":\"both\"}");
                Thread.sleep(hold);
                healAll();
                record(new Fault("isolate-leader", cluster.id(leader), start, System.nanoTime()));
            }
            case 3 -> {
                // A minority (possibly with the leader) cut off from the majority, both ways, from both sides.
                boolean[] minority = new boolean[n];
                int size = 1 + random.nextInt((n - 1) / 2);
                List<Integer> order = shuffled(n);
                for (int i = 0; i < size; i++) {
                    minority[order.get(i)] = true;
                }
                split(minority);
                Thread.sleep(hold);
                healAll();
                record(new Fault("partition", describe(minority), start, System.nanoTime()));
            }
            case 4 -> {
                if (n < 5) {
                    return; // a bridge needs two sides of at least two
                }
                // Two sides that each see only the bridge node, which sees everyone.
                List<Integer> order = shuffled(n);
                int bridge = order.get(0);
                boolean[] side = new boolean[n];
                for (int i = 1; i < n; i++) {
                    side[order.get(i)] = i % 2 == 0;
                }
                for (int i = 0; i < n; i++) {
                    if (i == bridge) {
                        continue;
                    }
                    List<String> cut = new ArrayList<>();
                    for (int j = 0; j < n; j++) {
                        if (j != bridge && j != i && side[j] != side[i]) {
                            cut.add("\"" + cluster.id(j) + "\"");
                        }
                    }
                    cluster.fault(i, "POST", "/isolate", "{\"peers\":" + cut + ",\"direction\":\"both\"}");
                }
                Thread.sleep(hold);
                healAll();
                record(new Fault("bridge", "bridge " + cluster.id(bridge), start, System.nanoTime()));
            }
            default -> {
                int percent = 10 + random.nextInt(40);
                for (int i = 0; i < n; i++) {
                    cluster.fault(i, "POST", "/drop", "{\"percent\":" + percent + "}");
                }
                Thread.sleep(hold);
                healAll();
                record(new Fault("drop", percent + "% of peer messages", start, System.nanoTime()));
            }
        }
    }

    private void split(boolean[] minority) {
        int n = minority.length;
        for (int i = 0; i < n; i++) {
            List<String> cut = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                if (minority[j] != minority[i]) {
                    cut.add("\"" + cluster.id(j) + "\"");
                }
            }
            cluster.fault(i, "POST", "/isolate", "{\"peers\":" + cut + ",\"direction\":\"both\"}");
        }
    }

    private String describe(boolean[] minority) {
        List<String> m = new ArrayList<>();
        for (int i = 0; i < minority.length; i++) {
            if (minority[i]) {
                m.add(cluster.id(i));
            }
        }
        return "minority " + m;
    }

    private List<Integer> shuffled(int n) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(i);
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Integer t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
        return l;
    }

    /** Heals every fault on every node: network faults cleared, paused processes continued. */
    void healAll() throws Exception {
        for (int i = 0; i < cluster.size(); i++) {
            if (cluster.stopped(i)) {
                cluster.signal(i, false);
            }
            cluster.fault(i, "DELETE", "", "");
        }
    }
}
