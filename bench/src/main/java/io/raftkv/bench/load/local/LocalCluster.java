package io.raftkv.bench.load.local;

import io.raftkv.bench.load.target.BenchTarget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A fresh cluster of real member processes on loopback, started by the benchmark in a directory of its own and
 * stopped by {@link #close()}. raftkv and etcd clusters are started the same way: three processes, free ports,
 * data and logs under one directory.
 */
public interface LocalCluster extends AutoCloseable {

    /** "raftkv" or "etcd". */
    String name();

    /** How many members it has. */
    int size();

    /** Where its data and logs are. */
    Path directory();

    /** The benchmark target for this cluster (the caller closes it). */
    BenchTarget target(Duration requestTimeout);

    /** Throws, naming the member and its log, if a member process has exited. */
    void checkAlive();

    /** Member process ids, for the log. */
    String pids();

    /**
     * Waits until every member answers and all agree on one leader.
     *
     * @throws IllegalStateException if a member exits, or nothing settles within {@code timeout}
     */
    default void awaitSettled(BenchTarget target, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!target.snapshot().settled(size())) {
            checkAlive();
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(name() + " cluster in " + directory() + " has no agreed leader after "
                        + timeout.toSeconds() + " s; see the logs there");
            }
            // Polling other processes: there is nothing to wait on but time.
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    @Override
    void close();
}
