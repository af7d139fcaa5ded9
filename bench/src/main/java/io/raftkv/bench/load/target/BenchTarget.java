package io.raftkv.bench.load.target;

import java.util.List;
import java.util.Set;

/**
 * A system under test, reached through its official client: raftkv through {@code KvClient}, etcd through jetcd.
 * The benchmark drives every target through this one interface, so that both see the same workload, the same
 * pacing and the same latency accounting.
 */
public interface BenchTarget extends AutoCloseable {

    /** "raftkv" or "etcd": how reports name it. */
    String name();

    /** The client endpoints of every member, as given. */
    List<String> members();

    /** The read consistencies this target can serve. */
    Set<ReadConsistency> readConsistencies();

    /** Asks every member for its status; members that do not answer are listed as unreachable. Never throws. */
    ClusterSnapshot snapshot();

    /**
     * A new connection (one client instance) to {@code endpoints} only, sized for {@code clients} concurrent
     * benchmark clients (so that the client's own limits, such as raftkv's session pool, do not throttle them).
     */
    TargetConnection connect(List<String> endpoints, int clients);

    /** The server-side figures to derive from counter deltas, and the counters each needs. */
    List<ServerFigure> serverFigures();

    @Override
    void close();
}
