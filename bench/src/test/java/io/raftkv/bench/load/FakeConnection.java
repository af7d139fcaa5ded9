package io.raftkv.bench.load;

import io.raftkv.bench.load.target.ReadConsistency;
import io.raftkv.bench.load.target.TargetConnection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection to nothing: every operation succeeds, except every {@code failEvery}-th, which fails with kind
 * "BOOM". Completes at once, or on {@code executor} if one is given (as a real client's I/O thread would).
 */
final class FakeConnection implements TargetConnection {

    private final long failEvery;
    private final Executor executor;
    final AtomicLong puts = new AtomicLong();
    final AtomicLong gets = new AtomicLong();
    private final AtomicLong operations = new AtomicLong();

    FakeConnection(long failEvery, Executor executor) {
        this.failEvery = failEvery;
        this.executor = executor;
    }

    @Override
    public CompletableFuture<?> put(byte[] key, byte[] value) {
        puts.incrementAndGet();
        return answer();
    }

    @Override
    public CompletableFuture<?> get(byte[] key, ReadConsistency consistency) {
        gets.incrementAndGet();
        return answer();
    }

    private CompletableFuture<?> answer() {
        boolean fail = failEvery > 0 && operations.incrementAndGet() % failEvery == 0;
        if (executor == null) {
            return fail ? CompletableFuture.failedFuture(new IllegalStateException("boom"))
                    : CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Object> f = new CompletableFuture<>();
        executor.execute(() -> {
            if (fail) {
                f.completeExceptionally(new IllegalStateException("boom"));
            } else {
                f.complete(null);
            }
        });
        return f;
    }

    @Override
    public String errorKind(Throwable failure) {
        return "BOOM";
    }

    @Override
    public void close() {
    }
}
