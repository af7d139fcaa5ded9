package io.raftkv.bench.core;

import io.raftkv.core.NodeId;
import io.raftkv.core.ProposalResult;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.RaftNode;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the Raft core alone: entries per second committed through a 3-node cluster whose messages
 * are delivered directly in one thread ({@link InMemoryCluster}: no I/O, no serialization, no threads), with
 * 16-byte payloads proposed in batches of 64. It answers "is the state machine itself ever the bottleneck?":
 * every real runtime adds a network and a disk on top, so the core should sustain well over what those
 * allow (the goal is 1,000,000 entries/s on the 2-core reference machine).
 *
 * <p>One operation is one committed entry ({@link OperationsPerInvocation} = {@value #BATCH}); run with
 * {@code -prof gc} so that {@code gc.alloc.rate.norm} reads as bytes allocated per entry.
 *
 * <ul>
 *   <li>{@link #commitBatch()}: propose a batch at the leader and drive the cluster until the leader has
 *       applied it; one batch at a time, so it includes the full round trip of every batch.</li>
 *   <li>{@link #pipelined()}: propose a new batch every round without waiting, with at most
 *       {@value #PIPELINE_DEPTH} batches unapplied at the leader, as a busy runtime would.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
// A fixed heap keeps the GC's sizing decisions out of the comparison between runs.
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class CoreCommitBenchmark {

    static final int BATCH = 64;
    static final int PAYLOAD_BYTES = 16;
    static final int PIPELINE_DEPTH = 4;
    /**
     * Distinct pre-built batches, cycled. Payloads are allocated once, outside the measurement: the core
     * shares them rather than copying, so it costs the same for reused arrays as for fresh ones, and fresh
     * ones would charge the caller's allocation to the core.
     */
    private static final int DISTINCT_BATCHES = 16;

    private InMemoryCluster cluster;
    private RaftNode leader;
    private List<List<byte[]>> batches;
    private int nextBatch;

    @Setup(Level.Trial)
    public void setUp() {
        cluster = new InMemoryCluster(CoreCommitBenchmark::config, "n1", "n2", "n3");
        leader = cluster.electFirst();
        SplittableRandom random = new SplittableRandom(42);
        List<List<byte[]>> built = new ArrayList<>();
        for (int b = 0; b < DISTINCT_BATCHES; b++) {
            byte[][] payloads = new byte[BATCH][];
            for (int i = 0; i < BATCH; i++) {
                payloads[i] = new byte[PAYLOAD_BYTES];
                random.nextBytes(payloads[i]);
            }
            built.add(List.of(payloads));
        }
        batches = List.copyOf(built);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cluster.verify();
    }

    /** The defaults, as a production node would run; no ticks are delivered, so timeouts never fire. */
    private static RaftConfig config(NodeId id) {
        return RaftConfig.builder(id).build();
    }

    private List<byte[]> nextBatch() {
        List<byte[]> batch = batches.get(nextBatch);
        nextBatch = (nextBatch + 1) % DISTINCT_BATCHES;
        return batch;
    }

    /** Proposes the next batch and returns the index of its last entry. */
    private long propose() {
        ProposalResult r = leader.propose(nextBatch());
        if (!(r instanceof ProposalResult.Accepted accepted)) {
            throw new IllegalStateException("proposal refused: " + r);
        }
        return accepted.lastIndex();
    }

    /** One batch, proposed and driven to applied at the leader before the next one. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long commitBatch() {
        long last = propose();
        cluster.driveUntilLeaderApplied(last);
        return last;
    }

    /**
     * A batch per round, several in flight: appends to followers carry new entries and the previous commit
     * index together, so the per-batch message overhead is shared. Proposals counted here are committed at
     * the same rate in steady state, since at most {@value #PIPELINE_DEPTH} batches are ever outstanding.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long pipelined() {
        long last = propose();
        cluster.round();
        cluster.driveUntilLeaderApplied(last - (long) (PIPELINE_DEPTH - 1) * BATCH);
        return last;
    }
}
