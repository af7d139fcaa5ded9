package io.raftkv.storage;

import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit in front of a {@link DurableStorage}: a writer thread takes every write queued since its
 * previous sync, performs them in order, and makes them all durable with one fsync, then completes their
 * futures. Under load, many appends share one fsync, so throughput is bounded by disk bandwidth rather
 * than by the fsync rate.
 *
 * <p>A write error is fatal for the storage: that write and every later one fail, because the log's state on
 * disk is no longer known.
 */
public final class GroupCommitLog implements Closeable {

    private record Write(HardState hardState, List<Entry> entries, CompletableFuture<Void> done) {
    }

    private static final Write STOP = new Write(null, List.of(), null);

    private final DurableStorage storage;
    private final BlockingQueue<Write> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private volatile IOException failure;
    /** Set (under this object's lock) when close() queues STOP; no write is queued after it. */
    private boolean closed;

    /** Starts the writer thread (named {@code threadName}) for {@code storage}, which it then owns. */
    public GroupCommitLog(DurableStorage storage, String threadName) {
        this.storage = storage;
        this.writer = new Thread(this::run, threadName);
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * Queues a write of {@code hardState} (may be null) and {@code entries} (replacing held entries from the
     * first one's index on). The future completes once both are durable; it fails at once if an earlier write
     * failed or the log is closed.
     */
    public CompletableFuture<Void> write(HardState hardState, List<Entry> entries) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        IOException f = failure;
        if (f != null) {
            done.completeExceptionally(f);
            return done;
        }
        synchronized (this) {
            // Once STOP is queued the writer takes nothing after it: a write queued then would never complete.
            if (closed) {
                done.completeExceptionally(new IOException("the log writer is closed"));
                return done;
            }
            queue.add(new Write(hardState, entries, done));
        }
        return done;
    }

    /** Number of fsyncs so far. */
    public long syncs() {
        return syncs.get();
    }

    /** Number of writes made durable so far. */
    public long writes() {
        return writes.get();
    }

    private void run() {
        List<Write> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch);
            boolean stop = false;
            List<Write> work = new ArrayList<>(batch.size());
            for (Write w : batch) {
                if (w == STOP) {
                    stop = true;
                } else {
                    work.add(w);
                }
            }
            batch.clear();
            if (!work.isEmpty()) {
                commit(work);
            }
            if (stop) {
                return;
            }
        }
    }

    private void commit(List<Write> work) {
        try {
            if (failure != null) {
                throw failure;
            }
            for (Write w : work) {
                if (w.hardState() != null) {
                    storage.writeHardState(w.hardState());
                }
                storage.append(w.entries());
            }
            storage.sync();
            syncs.incrementAndGet();
            writes.addAndGet(work.size());
            for (Write w : work) {
                w.done().complete(null);
            }
        } catch (IOException | RuntimeException e) {
            IOException io = e instanceof IOException ioe ? ioe : new IOException("log write failed", e);
            failure = io;
            for (Write w : work) {
                w.done().completeExceptionally(io);
            }
        }
    }

    /** Finishes queued writes, stops the writer and closes the storage. Later writes fail. */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(STOP);
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        storage.close();
    }
}
