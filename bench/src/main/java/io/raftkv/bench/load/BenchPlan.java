package io.raftkv.bench.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a {@code raftkv bench} session is to do, checked and complete: the command line turned into values.
 *
 * @param cells           the cells, in order
 * @param targets         "raftkv" and/or "etcd"; with both, every cell runs against each in turn (alternating)
 * @param startClusters   start fresh local clusters (and measure the machine's limits) instead of using running
 *                        ones
 * @param clusterSize     members per local cluster
 * @param endpoints       the running cluster's client endpoints (when not starting clusters; one target only)
 * @param httpEndpoints   its HTTP addresses, for raftkv's {@code /v1/status} counters; may be empty
 * @param requestTimeout  the deadline of every request
 * @param baseDirectory   where local clusters get their temporary directory
 * @param keepData        leave the clusters' directory in place afterwards (for their logs)
 * @param raftkvServer    how to run {@code raftkv server}: the command up to and excluding "server"
 * @param etcdBinary      the etcd executable
 * @param progress        print a progress line every second
 * @param seed            for values, keys and the mix
 * @param clusterWarmup   unreported load on each freshly started cluster before the first cell (zero: none)
 */
public record BenchPlan(List<Cell> cells, List<String> targets, boolean startClusters, int clusterSize,
                        List<String> endpoints, List<String> httpEndpoints, Duration requestTimeout,
                        Path baseDirectory, boolean keepData, List<String> raftkvServer, String etcdBinary,
                        boolean progress, long seed, Duration clusterWarmup) {

    public BenchPlan {
        cells = List.copyOf(cells);
        targets = List.copyOf(targets);
        endpoints = List.copyOf(endpoints);
        httpEndpoints = List.copyOf(httpEndpoints);
        raftkvServer = List.copyOf(raftkvServer);
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(baseDirectory, "baseDirectory");
        Objects.requireNonNull(clusterWarmup, "clusterWarmup");
        if (cells.isEmpty()) {
            throw new IllegalArgumentException("no cells to run (does --cells match any cell id?)");
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no target to run against");
        }
        if (!startClusters && (targets.size() != 1 || endpoints.isEmpty())) {
            throw new IllegalArgumentException("a running cluster is benchmarked one target at a time, through "
                    + "--endpoints; --compare starts its own clusters (--cluster)");
        }
    }
}
