package io.raftkv.bench.codec;

import io.raftkv.core.Entry;
import io.raftkv.core.NodeId;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.transport.MalformedMessageException;
import io.raftkv.transport.RaftMessageCodec;
import io.raftkv.transport.proto.Envelope;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The peer codec on the replication hot path: an AppendEntries of {@code entries} entries of {@code payloadBytes}
 * bytes (256 B by default: a typical batch under load), encoded as the leader's transport does (envelope,
 * then its bytes) and decoded and validated as a follower's does (parse, then {@link RaftMessageCodec#decode}).
 * One JMH operation is one entry ({@code @OperationsPerInvocation}), so {@code gc.alloc.rate.norm} with
 * {@code -prof gc} is bytes allocated per entry.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class RaftMessageCodecBenchmark {

    /** Entries per message: a constant, because {@code @OperationsPerInvocation} needs one. */
    private static final int ENTRIES = 64;

    @Param({"256"})
    public int payloadBytes;

    private final NodeId leaderId = NodeId.of("n1");
    private final NodeId followerId = NodeId.of("n2");
    private RaftMessageCodec leader;
    private RaftMessageCodec follower;
    private AppendEntriesRequest append;
    private byte[] frame;

    @Setup
    public void setUp() throws MalformedMessageException {
        leader = new RaftMessageCodec("bench", leaderId);
        follower = new RaftMessageCodec("bench", followerId);
        SplittableRandom random = new SplittableRandom(1);
        List<Entry> entries = new ArrayList<>(ENTRIES);
        for (int i = 0; i < ENTRIES; i++) {
            byte[] payload = new byte[payloadBytes];
            random.nextBytes(payload);
            entries.add(Entry.command(1_001 + i, 7, payload));
        }
        append = new AppendEntriesRequest(leaderId, followerId, 7, 1_000, 7, List.copyOf(entries), 990);
        frame = leader.encode(append).toByteArray();
        // Fail at setup, not in the middle of a measurement, if the message does not survive a round trip.
        if (!decode().equals(append)) {
            throw new IllegalStateException("the AppendEntries did not survive encoding and decoding");
        }
    }

    /** Leader side: the envelope and its wire bytes. */
    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public byte[] encode() {
        Envelope env = leader.encode(append);
        return env.toByteArray();
    }

    /** Follower side: parse the frame and decode it with every validation. */
    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public RaftMessage decode() throws MalformedMessageException {
        return follower.decode(follower.parse(ByteBuffer.wrap(frame)), leaderId);
    }
}
