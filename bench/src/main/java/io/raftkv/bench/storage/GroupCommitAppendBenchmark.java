package io.raftkv.bench.storage;

import io.raftkv.bench.BenchDirs;
import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.NodeId;
import io.raftkv.storage.DurableStorage;
import io.raftkv.storage.GroupCommitLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Durable append throughput of the real log ({@link DurableStorage}: segmented, checksummed, 64 MiB segments)
 * for {@value #PAYLOAD_BYTES}-byte entries, with and without group commit. Read it against
 * {@link FsyncRateBenchmark} from the same run: the question is whether group commit lifts throughput from
 * the fsync rate (one write per fsync) towards the disk's bandwidth.
 *
 * <ul>
 *   <li>{@link #groupCommit}: one producer thread keeps {@code inFlight} writes of {@code entriesPerWrite}
 *       entries outstanding at a {@link GroupCommitLog} (as a leader's runtime does with proposals: it does
 *       not wait for one write before handing over the next); an entry counts once its write's future has
 *       completed, i.e. once it is durable. The writer thread takes everything queued since its previous
 *       fsync and syncs it once, so the more writes are in flight, the more share an fsync.</li>
 *   <li>{@link #syncEachEntry}: the naive baseline, {@code append} of one entry then {@code sync}, on the
 *       caller's thread: one fsync per entry.</li>
 * </ul>
 *
 * <p>One JMH operation is one write (one entry for the baseline); the secondary results, from
 * {@link AuxCounters}, are per second: {@code entries}, {@code payloadBytes} (MB/s = this / 10^6; the log
 * writes 25 bytes of framing per entry on top) and {@code fsyncs}. Entries per fsync = entries ÷ fsyncs.
 * Each iteration starts on an empty log in a new temporary directory (under {@code -p dir=...}, default
 * {@code java.io.tmpdir}), deleted afterwards, so the disk use stays bounded and every iteration measures
 * the same thing.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class GroupCommitAppendBenchmark {

    static final int PAYLOAD_BYTES = 256;

    /** One shared payload: entries never modify theirs, and fresh arrays would only measure allocation. */
    private static final byte[] PAYLOAD = payload();

    /** Per-second rates reported next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rates {
        /** Entries made durable. */
        public long entries;
        /** Their payload bytes. */
        public long payloadBytes;
        /** fsyncs of the log (group commits). */
        public long fsyncs;

        @Setup(Level.Iteration)
        public void reset() {
            entries = 0;
            payloadBytes = 0;
            fsyncs = 0;
        }
    }

    /** A fresh log with a group-commit writer, per iteration. */
    @State(Scope.Thread)
    public static class GroupCommitState {
        /** Writes handed to the writer thread and not yet durable, at most. */
        @Param({"1", "8", "64"})
        public int inFlight;
        /** Entries per write. */
        @Param({"1", "64"})
        public int entriesPerWrite;
        /** Directory for the temporary data directories; empty means {@code java.io.tmpdir}. */
        @Param({""})
        public String dir;

        Path root;
        GroupCommitLog log;
        long syncsAtStart;
        long nextIndex;
        final ArrayDeque<CompletableFuture<Void>> outstanding = new ArrayDeque<>();

        @Setup(Level.Iteration)
        public void open() throws IOException {
            root = Files.createTempDirectory(BenchDirs.base(dir), "raftkv-gc-bench");
            log = new GroupCommitLog(openStorage(root), "bench-log-writer");
            syncsAtStart = log.syncs();
            nextIndex = 1;
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            // Outside the measured time: let the last writes finish, then throw the log away.
            while (!outstanding.isEmpty()) {
                outstanding.poll().join();
            }
            log.close();
            BenchDirs.deleteRecursively(root);
        }

        List<Entry> nextWrite() {
            List<Entry> entries = new ArrayList<>(entriesPerWrite);
            for (int i = 0; i < entriesPerWrite; i++) {
                entries.add(Entry.command(nextIndex++, 1, PAYLOAD));
            }
            return entries;
        }
    }

    /** A fresh log used directly by the benchmark thread, per iteration. */
    @State(Scope.Thread)
    public static class DirectState {
        /** Directory for the temporary data directories; empty means {@code java.io.tmpdir}. */
        @Param({""})
        public String dir;

        Path root;
        DurableStorage storage;
        long nextIndex;

        @Setup(Level.Iteration)
        public void open() throws IOException {
            root = Files.createTempDirectory(BenchDirs.base(dir), "raftkv-sync-bench");
            storage = openStorage(root);
            nextIndex = 1;
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            storage.close();
            BenchDirs.deleteRecursively(root);
        }
    }

    /**
     * Hands one write to the group-commit writer; once {@code inFlight} are outstanding, first waits for the
     * oldest to become durable and counts its entries.
     */
    @Benchmark
    public long groupCommit(GroupCommitState s, Rates rates) {
        if (s.outstanding.size() >= s.inFlight) {
            s.outstanding.poll().join();
            rates.entries += s.entriesPerWrite;
            rates.payloadBytes += (long) s.entriesPerWrite * PAYLOAD_BYTES;
            rates.fsyncs = s.log.syncs() - s.syncsAtStart;
        }
        s.outstanding.add(s.log.write(null, s.nextWrite()));
        return s.nextIndex;
    }

    /** Appends one entry and syncs it before returning: one fsync per entry. */
    @Benchmark
    public long syncEachEntry(DirectState s, Rates rates) throws IOException {
        s.storage.append(List.of(Entry.command(s.nextIndex++, 1, PAYLOAD)));
        s.storage.sync();
        rates.entries++;
        rates.payloadBytes += PAYLOAD_BYTES;
        rates.fsyncs++;
        return s.nextIndex;
    }

    private static DurableStorage openStorage(Path root) throws IOException {
        return DurableStorage.open(root, "bench", NodeId.of("n1"), Configuration.ofVoters("n1"),
                DurableStorage.Options.defaults());
    }

    private static byte[] payload() {
        byte[] b = new byte[PAYLOAD_BYTES];
        new SplittableRandom(7).nextBytes(b);
        return b;
    }
}
