package io.raftkv.bench.load.local;

import java.nio.file.Path;

/**
 * What every local cluster of member processes shares: its directory, its size and its processes, which
 * {@link #close()} stops.
 */
abstract class ProcessBackedCluster implements LocalCluster {

    private final Path directory;
    private final int size;
    /** The subclass starts its members here. */
    final NodeProcesses processes;

    ProcessBackedCluster(Path directory, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one member, got " + size);
        }
        this.directory = directory;
        this.size = size;
        this.processes = new NodeProcesses(directory);
    }

    @Override
    public final int size() {
        return size;
    }

    @Override
    public final Path directory() {
        return directory;
    }

    @Override
    public final void checkAlive() {
        processes.checkAlive();
    }

    @Override
    public final String pids() {
        return processes.pids();
    }

    @Override
    public final void close() {
        processes.close();
    }
}
