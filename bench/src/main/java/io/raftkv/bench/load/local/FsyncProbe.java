package io.raftkv.bench.load.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.HdrHistogram.Histogram;

/**
 * The raw fsync rate of a directory's file system: write 4 KiB, {@code force(false)} (fdatasync), repeat, as a
 * write-ahead log that syncs every write would, into a file already filled with zeros and synced (and written
 * round again from its start when the end is reached). That is how raftkv's log writes (its segments are
 * preallocated), and the disk's best case: appends that grow a file also make each fdatasync flush the file's
 * length, 20-30% slower on this project's machine ({@code FsyncRateBenchmark}'s {@code append4KiBAndFsync}
 * measures that case). Small enough to run before every benchmark session.
 */
final class FsyncProbe {

    private static final int BLOCK = 4 << 10;
    /** Size of the zero-filled file, written round from its start when the probe reaches its end. */
    private static final long FILE_BYTES = 16L << 20;

    /**
     * @param perSecond fsyncs per second
     * @param p50Ms     median time of one append and fsync
     * @param p99Ms     99th percentile
     */
    record Result(double perSecond, double p50Ms, double p99Ms) {
    }

    private FsyncProbe() {
    }

    static Result run(Path directory, Duration duration) throws IOException {
        Histogram h = new Histogram(3);
        double seconds = write(directory, duration, h);
        return new Result(h.getTotalCount() / seconds, h.getValueAtPercentile(50) / 1e6,
                h.getValueAtPercentile(99) / 1e6);
    }

    /**
     * The same with {@code writers} threads at once, each on its own file: what three replicas sharing one disk
     * get from it (a local cluster's nodes all write to the same disk). The rate is the writers' total.
     */
    static Result runConcurrent(Path directory, Duration duration, int writers) throws IOException {
        Histogram h = new Histogram(3);
        List<CompletableFuture<Double>> runs = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    Histogram own = new Histogram(3);
                    double seconds = write(directory, duration, own);
                    synchronized (h) {
                        h.add(own);
                    }
                    return seconds;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, runnable -> new Thread(runnable, "fsync-probe").start()));
        }
        double seconds = 0;
        for (CompletableFuture<Double> run : runs) {
            try {
                seconds = Math.max(seconds, run.join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof UncheckedIOException u) {
                    throw u.getCause();
                }
                throw e;
            }
        }
        return new Result(h.getTotalCount() / seconds, h.getValueAtPercentile(50) / 1e6,
                h.getValueAtPercentile(99) / 1e6);
    }

    /** One writer: records each write + fsync in {@code h}; returns the seconds it ran. */
    private static double write(Path directory, Duration duration, Histogram h) throws IOException {
        Files.createDirectories(directory);
        Path file = Files.createTempFile(directory, "fsync-probe", ".dat");
        byte[] bytes = new byte[BLOCK];
        new SplittableRandom(7).nextBytes(bytes); // incompressible, like real entries
        ByteBuffer block = ByteBuffer.allocateDirect(BLOCK).put(bytes).flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < FILE_BYTES; ) {
                zeros.clear();
                at += ch.write(zeros, at);
            }
            ch.force(true);
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long position = 0;
            long now = start;
            while (now < end) {
                if (position >= FILE_BYTES) {
                    position = 0;
                }
                long t0 = System.nanoTime();
                block.rewind();
                position += ch.write(block, position);
                ch.force(false);
                now = System.nanoTime();
                h.recordValue(now - t0);
            }
            return (now - start) / 1e9;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
