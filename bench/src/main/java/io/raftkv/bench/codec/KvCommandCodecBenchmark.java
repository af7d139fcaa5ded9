package io.raftkv.bench.codec;

import io.raftkv.kv.server.store.ClientSession;
import io.raftkv.kv.server.store.KvCommand;
import io.raftkv.kv.server.store.KvCommandCodec;
import io.raftkv.kv.server.store.KvOperation;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The key-value command codec: a put with a client session (as every client write carries), an 8-byte key and a
 * {@code valueBytes} value, encoded as the leader's request service does before proposing it and decoded as
 * every node's state machine does when applying it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class KvCommandCodecBenchmark {

    @Param({"256"})
    public int valueBytes;

    private KvCommand command;
    private byte[] encoded;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        byte[] value = new byte[valueBytes];
        random.nextBytes(value);
        command = new KvCommand(new ClientSession("kvc-7d5c9a52-3f1e-4a8b-9c1d-2e6f0a4b8c3d", 42), 1_700_000_000_000L,
                new KvOperation.Put(new byte[] {0, 0, 0, 0, 0, 0, 1, 7}, value));
        encoded = KvCommandCodec.encode(command);
    }

    @Benchmark
    public byte[] encode() {
        return KvCommandCodec.encode(command);
    }

    @Benchmark
    public KvCommand decode() {
        return KvCommandCodec.decode(encoded);
    }
}
