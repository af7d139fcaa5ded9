package io.raftkv.bench.load.target;

import java.util.concurrent.CompletableFuture;

/**
 * One client connection of a {@link BenchTarget} (a {@code KvClient} or an etcd {@code Client}), shared by the
 * benchmark clients assigned to it. Thread-safe; operations never block the caller.
 */
public interface TargetConnection extends AutoCloseable {

    /** Writes {@code value} under {@code key}; completes when the system acknowledged the write. */
    CompletableFuture<?> put(byte[] key, byte[] value);

    /** Reads {@code key} at {@code consistency}; completes when the answer arrived. */
    CompletableFuture<?> get(byte[] key, ReadConsistency consistency);

    /**
     * The name a failure is counted under in the report: the system's own error code where it has one (raftkv's
     * {@code ErrorCode}, etcd's gRPC status), else the exception's class.
     */
    String errorKind(Throwable failure);

    /** Closes the connection; operations still open fail. */
    @Override
    void close();
}
