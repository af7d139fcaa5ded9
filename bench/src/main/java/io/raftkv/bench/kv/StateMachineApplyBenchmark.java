package io.raftkv.bench.kv;

import io.raftkv.bench.BenchDirs;
import io.raftkv.kv.server.store.ClientSession;
import io.raftkv.kv.server.store.KvCommand;
import io.raftkv.kv.server.store.KvCommandCodec;
import io.raftkv.kv.server.store.KvOperation;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import io.raftkv.server.Command;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The state machine's apply step: {@link KvStateMachine#apply} of a batch of {@value #BATCH} committed puts (8-byte
 * keys spread over {@value #KEYS} keys, {@code valueBytes} values, each with its own client session, as the apply
 * thread sees them under load) into RocksDB in a temporary directory. One batch is one atomic RocksDB write; one
 * JMH operation is one put ({@code @OperationsPerInvocation}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class StateMachineApplyBenchmark {

    private static final int BATCH = 64;
    private static final int KEYS = 100_000;
    /** Distinct client sessions writing, as many as the client library's default session pool. */
    private static final int SESSIONS = 64;

    @Param({"256"})
    public int valueBytes;

    /** Directory to create the temporary store in; empty means {@code java.io.tmpdir}. */
    @Param({""})
    public String dir;

    private Path tempDir;
    private KvStateMachine stateMachine;
    private byte[] value;
    private long nextIndex;
    private long nextKey;
    private final long[] sequences = new long[SESSIONS];

    @Setup(Level.Iteration)
    public void openStore() throws IOException {
        tempDir = Files.createTempDirectory(BenchDirs.base(dir), "raftkv-apply-bench");
        stateMachine = KvStateMachine.open(tempDir, Duration.ofHours(1));
        value = new byte[valueBytes];
        new SplittableRandom(1).nextBytes(value);
        nextIndex = 1;
    }

    @TearDown(Level.Iteration)
    public void removeStore() throws IOException {
        stateMachine.close();
        BenchDirs.deleteRecursively(tempDir);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public List<KvResult> applyBatch() {
        return stateMachine.apply(nextBatch());
    }

    /**
     * The next batch of encoded commands. Built inside the measurement because the apply thread gets fresh
     * commands too; encoding is a small part of the cost (see {@code KvCommandCodecBenchmark}).
     */
    private List<Command> nextBatch() {
        List<Command> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            int session = (int) (nextIndex % SESSIONS);
            byte[] key = ByteBuffer.allocate(8).putLong(nextKey++ % KEYS).array();
            KvCommand c = new KvCommand(new ClientSession("bench-session-" + session, ++sequences[session]),
                    nextIndex, new KvOperation.Put(key, value));
            batch.add(new Command(nextIndex++, 1, KvCommandCodec.encode(c)));
        }
        return batch;
    }
}
