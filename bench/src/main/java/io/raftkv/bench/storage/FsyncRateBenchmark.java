package io.raftkv.bench.storage;

import io.raftkv.bench.BenchDirs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the disk itself allows, measured with plain {@link FileChannel} calls and no raftkv code, so that
 * {@link GroupCommitAppendBenchmark} (run in the same JMH invocation, on the same file system) can be read
 * against it:
 *
 * <ul>
 *   <li>{@link #append4KiBAndFsync()}: append 4 KiB and {@code force(false)} (fdatasync). One operation is one
 *       fsync, so its score is the raw fsync rate: the ceiling of any log that syncs every write. Appending
 *       (the file grows) is what the log does, so the file size change is part of every fsync here too.</li>
 *   <li>{@link #overwrite4KiBAndFsync()}: rewrite the same 4 KiB block and fsync: no size change, the cheapest
 *       fsync there is.</li>
 *   <li>{@link #append1MiBAndFsync()}: append 1 MiB and fsync: ops/s × 1 MiB is the sequential bandwidth of
 *       durable writes, the ceiling a log with perfect group commit approaches.</li>
 * </ul>
 *
 * <p>Set {@code -p dir=...} to measure another file system than {@code java.io.tmpdir} (use the one
 * {@link GroupCommitAppendBenchmark} uses). Each iteration starts with an empty file, so a long run measures
 * the same thing throughout and the file stays bounded.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FsyncRateBenchmark {

    private static final int SMALL = 4 << 10;
    private static final int LARGE = 1 << 20;

    /** Directory to create the temporary file in; empty means {@code java.io.tmpdir}. */
    @Param({""})
    public String dir;

    private Path tempDir;
    private Path file;
    private FileChannel channel;
    private ByteBuffer small;
    private ByteBuffer large;
    private long position;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        tempDir = Files.createTempDirectory(BenchDirs.base(dir), "raftkv-fsync-bench");
        file = tempDir.resolve("fsync.dat");
        // Random contents, in case the device compresses or deduplicates.
        SplittableRandom random = new SplittableRandom(42);
        byte[] bytes = new byte[LARGE];
        random.nextBytes(bytes);
        small = ByteBuffer.allocateDirect(SMALL).put(bytes, 0, SMALL).flip();
        large = ByteBuffer.allocateDirect(LARGE).put(bytes).flip();
    }

    @Setup(Level.Iteration)
    public void openEmptyFile() throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        channel.force(true);
        position = 0;
    }

    @TearDown(Level.Iteration)
    public void closeFile() throws IOException {
        channel.close();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchDirs.deleteRecursively(tempDir);
    }

    /** One fsync per operation after a 4 KiB append: the raw fsync rate. */
    @Benchmark
    public long append4KiBAndFsync() throws IOException {
        position += write(small, position);
        channel.force(false);
        return position;
    }

    /** One fsync per operation after rewriting the first 4 KiB: no metadata changes. */
    @Benchmark
    public long overwrite4KiBAndFsync() throws IOException {
        write(small, 0);
        channel.force(false);
        return position;
    }

    /** 1 MiB appended and made durable per operation: durable sequential bandwidth = ops/s MiB/s. */
    @Benchmark
    public long append1MiBAndFsync() throws IOException {
        position += write(large, position);
        channel.force(false);
        return position;
    }

    private int write(ByteBuffer buffer, long at) throws IOException {
        ByteBuffer b = buffer.duplicate();
        int n = 0;
        while (b.hasRemaining()) {
            n += channel.write(b, at + n);
        }
        return n;
    }
}
