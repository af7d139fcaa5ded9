package io.raftkv.cli;

import io.raftkv.kv.client.ClusterStatus;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.NodeStatus;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code raftkv bench}: a closed-loop put workload against a running cluster through the Java client: N clients,
 * each with one request in flight, sequential 8-byte keys, values of a given size. Prints throughput, latency
 * percentiles (HdrHistogram), errors, and the leader's term before and after (a leader change during a
 * measurement would make its figures meaningless).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Runs a closed-loop put workload against a running cluster and prints throughput and",
                "latency percentiles, and the leader's term before and after."})
final class BenchCommand implements Callable<Integer> {

    @Mixin
    ClientOptions client;

    @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients, one request in flight each (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--duration-seconds", defaultValue = "10", description = "Measured time (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--warmup-seconds", defaultValue = "3", description = "Unmeasured time first (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--value-size", defaultValue = "256", description = "Value bytes (default: ${DEFAULT-VALUE}).")
    int valueSize;

    @Override
    public Integer call() throws Exception {
        try (KvClient c = client.connect()) {
            long termBefore = leaderTerm(c);
            byte[] value = new byte[valueSize];
            new SplittableRandom(1).nextBytes(value);
            Recorder recorder = new Recorder(3);
            AtomicLong errors = new AtomicLong();
            AtomicLong keys = new AtomicLong();
            long warmupEnd = System.nanoTime() + warmupSeconds * 1_000_000_000L;
            long end = warmupEnd + durationSeconds * 1_000_000_000L;
            CountDownLatch done = new CountDownLatch(clients);
            for (int i = 0; i < clients; i++) {
                issue(c, value, recorder, errors, keys, warmupEnd, end, done);
            }
            done.await();
            Histogram h = recorder.getIntervalHistogram();
            double seconds = durationSeconds;
            System.out.printf("put, %d clients, %d-byte values, %d s: %.0f ops/s; latency ms p50 %.2f p90 %.2f p99 %.2f "
                            + "p99.9 %.2f max %.2f; errors %d; leader term %d -> %d%n", clients, valueSize,
                    durationSeconds, h.getTotalCount() / seconds, h.getValueAtPercentile(50) / 1e6,
                    h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(99) / 1e6,
                    h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6, errors.get(), termBefore, leaderTerm(c));
            return 0;
        }
    }

    /** One client's loop: issue the next put when the previous completes (closed loop). */
    private static void issue(KvClient c, byte[] value, Recorder recorder, AtomicLong errors, AtomicLong keys,
                              long warmupEnd, long end, CountDownLatch done) {
        long start = System.nanoTime();
        if (start >= end) {
            done.countDown();
            return;
        }
        byte[] key = ByteBuffer.allocate(8).putLong(keys.getAndIncrement()).array();
        c.put(key, value).whenComplete((rev, err) -> {
            long now = System.nanoTime();
            if (start >= warmupEnd && now <= end) {
                if (err == null) {
                    recorder.recordValue(now - start);
                } else {
                    errors.incrementAndGet();
                }
            }
            issue(c, value, recorder, errors, keys, warmupEnd, end, done);
        });
    }

    private static long leaderTerm(KvClient c) {
        ClusterStatus s = c.blocking().clusterStatus();
        return s.nodes().values().stream().filter(NodeStatus::isLeader).mapToLong(NodeStatus::term).max().orElse(-1);
    }
}
