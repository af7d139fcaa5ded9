package io.raftkv.bench.load;

import io.raftkv.bench.load.target.BenchTarget;
import io.raftkv.bench.load.target.ClusterSnapshot;
import io.raftkv.bench.load.target.NodeSnapshot;
import io.raftkv.bench.load.target.TargetConnection;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Runs one cell against one target: finds the leader, opens the connections the cell asks for, preloads the keys
 * a read workload reads, takes the members' status, runs the load, takes their status again, and closes the
 * connections.
 */
final class CellRunner {

    /** Clients that preload the key space of a read workload. */
    private static final int PRELOAD_CLIENTS = 64;

    private final Duration requestTimeout;
    private final long seed;
    private final PrintStream log;

    /**
     * @param requestTimeout the deadline of every request (waits for the last operations are sized from it)
     * @param seed           for values, keys and the mix
     * @param log            where to say what is happening (stderr: stdout may carry JSON)
     */
    CellRunner(Duration requestTimeout, long seed, PrintStream log) {
        this.requestTimeout = requestTimeout;
        this.seed = seed;
        this.log = log;
    }

    CellResult run(BenchTarget target, Cell cell, ProgressListener progress) throws InterruptedException {
        Workload w = cell.workload();
        if (w.reads() && !target.readConsistencies().contains(w.consistency())) {
            return CellResult.failed(target.name(), cell, target.name() + " has no "
                    + w.consistency().name().toLowerCase(Locale.ROOT) + " reads");
        }
        ClusterSnapshot initial = target.snapshot();
        Optional<NodeSnapshot> leader = initial.leader();
        if (leader.isEmpty()) {
            return CellResult.failed(target.name(), cell, "no leader before the cell (unreachable: "
                    + initial.unreachable() + ")");
        }
        List<String> endpoints = cell.nodes() == NodeSelection.LEADER ? List.of(leader.get().endpoint())
                : target.members();
        int count = cell.load().connections() > 0 ? cell.load().connections() : endpoints.size();
        int clientsPerConnection = (cell.load().clients() + count - 1) / count;
        List<TargetConnection> connections = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                connections.add(target.connect(List.of(endpoints.get(i % endpoints.size())), clientsPerConnection));
            }
            Duration drain = requestTimeout.plusSeconds(5);
            if (w.reads()) {
                preload(connections, w, drain);
            }
            ClusterSnapshot before = target.snapshot();
            RunOutcome outcome = new LoadRun(connections, w, cell.load(), drain, seed).run(progress);
            ClusterSnapshot after = target.snapshot();
            LeaderObservation first = LeaderObservation.of(initial);
            LeaderObservation last = LeaderObservation.of(after);
            if (!first.equals(LeaderObservation.of(before))) {
                log.println("note: the leader changed while preloading: " + first + " -> " + LeaderObservation.of(before));
            }
            return new CellResult(target.name(), cell, outcome, first, last,
                    ServerView.between(before, after, target.serverFigures()), null);
        } finally {
            connections.forEach(TargetConnection::close);
        }
    }

    /** Writes every key of the key space once, so that gets find values of the workload's size. */
    private void preload(List<TargetConnection> connections, Workload w, Duration drain) throws InterruptedException {
        long keys = w.keys().size();
        log.printf("preloading %,d keys of %d bytes with %d-byte values%n", keys, w.keys().keyBytes(), w.valueBytes());
        Workload puts = Workload.put(new KeySpace(KeySpace.Order.SEQUENTIAL, keys, w.keys().keyBytes()),
                w.valueBytes());
        LoadShape shape = new LoadShape((int) Math.min(PRELOAD_CLIENTS, keys), 0, 0, Duration.ZERO,
                Duration.ofSeconds(1), keys);
        RunOutcome r = new LoadRun(connections, puts, shape, drain, seed).run(ProgressListener.NONE);
        if (r.errorCount() > 0) {
            log.println("warning: " + r.errorCount() + " preload writes failed " + r.errors()
                    + "; some gets will find no value");
        }
    }
}
