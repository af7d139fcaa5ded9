package io.raftkv.storage.crash;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.storage.DurableStorage;
import io.raftkv.storage.GroupCommitLog;
import io.raftkv.storage.log.SegmentedLog;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

/**
 * The child process of {@link ChildProcessCrashTest}: a log writer that runs until it is killed with SIGKILL,
 * telling its parent on stdout exactly what it asked the storage to do and what the storage confirmed as
 * durable.
 *
 * <p>It opens {@link DurableStorage} in the given directory (cluster {@value #CLUSTER_ID}, node
 * {@value #NODE_ID}, {@value #SEGMENT_BYTES}-byte segments so the log rolls often), continues the log where it
 * ends, and submits writes through a {@link GroupCommitLog} with up to {@code inFlight} writes outstanding, so
 * the writer thread really groups several writes per fsync. Each write carries 1 to 32 entries (sometimes up
 * to 256) whose payloads are {@link CrashPayload#of(long, long) derived from (index, term)}. About 3% of the
 * writes act like a follower replacing a conflicting suffix: they start at an index the log already holds
 * (possibly entries already reported durable), in a new term, together with the new hard state. When the log
 * reaches {@code maxEntries}, one such write cuts it back by half or more, which deletes many segments and
 * keeps the parent's verification (which reads the whole log after every kill) bounded.
 *
 * <h2>Protocol (stdout, one ASCII line each, flushed at once)</h2>
 * <pre>
 *   ready &lt;lastIndex&gt; &lt;lastTerm&gt; &lt;hardStateTerm&gt;    after opening, before any write
 *   write &lt;seq&gt; &lt;from&gt; &lt;count&gt; &lt;term&gt;                printed BEFORE the write is handed to the storage
 *   durable &lt;seq&gt; &lt;lastIndex&gt; &lt;term&gt;                printed only AFTER the write's future completed
 * </pre>
 * {@code seq} numbers the writes of this process from 1. A write replaces every held entry from {@code from}
 * on with entries {@code from..from+count-1} of {@code term} (a plain append has {@code from} = last index +
 * 1). Because a {@code write} line is flushed before the storage can see the write, the parent knows of every
 * write that can have reached the disk; because {@code durable} lines are printed in order by one thread that
 * waits for each future in submission order, "durable N" means writes 1..N are durable. The parent's
 * expectation after a kill is therefore exact: the log must be the state after the last reported write, or a
 * state the storage passes through while performing the writes announced after it (which may legitimately
 * remove or replace entries reported durable, as a follower does). See {@link ChildProcessCrashTest}.
 *
 * <p>Logging (and anything else printed to {@code System.out}) goes to stderr, so stdout carries only the
 * protocol. Any failure prints a stack trace and exits with status 3, which the parent reports.
 *
 * <p>Arguments: {@code <dir> <seed> <inFlight> <maxEntries>}.
 */
public final class CrashWriter {

    static final String CLUSTER_ID = "crash";
    static final String NODE_ID = "n1";
    static final long SEGMENT_BYTES = 256 << 10;
    /** Small cache: the child never reads, and the parent should not need much memory either. */
    static final long CACHE_BYTES = 1 << 20;

    private record Pending(long seq, long lastIndex, long term, CompletableFuture<Void> done) {
    }

    private CrashWriter() {
    }

    /** The storage options both processes use. */
    static DurableStorage.Options options() {
        return new DurableStorage.Options(new SegmentedLog.Options(SEGMENT_BYTES, CACHE_BYTES, true));
    }

    /** Opens the crash test's data directory (creating it on the first run). */
    static DurableStorage open(Path dir) throws IOException {
        return DurableStorage.open(dir, CLUSTER_ID, NodeId.of(NODE_ID), Configuration.ofVoters(NODE_ID), options());
    }

    public static void main(String[] args) {
        // The real stdout, for the protocol only; everything else that prints to System.out (the logging
        // framework's console appender looks System.out up at each write) now lands on stderr.
        PrintStream protocol = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)),
                false, StandardCharsets.US_ASCII);
        System.setOut(System.err);
        try {
            run(Path.of(args[0]), Long.parseLong(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]),
                    protocol);
        } catch (Throwable t) {
            t.printStackTrace(System.err);
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }
    }

    private static void run(Path dir, long seed, int inFlight, long maxEntries, PrintStream protocol)
            throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        DurableStorage storage = open(dir);
        long lastIndex = storage.lastIndex();
        long lastTerm = lastIndex == 0 ? 0 : storage.term(lastIndex);
        long hardStateTerm = storage.hardState().term();
        // Terms never go backwards across restarts: continue in the highest term seen, at least 1.
        long term = Math.max(1, Math.max(hardStateTerm, lastTerm));
        HardState nextHardState = term > hardStateTerm ? new HardState(term, NodeId.of(NODE_ID)) : null;
        say(protocol, "ready " + lastIndex + " " + lastTerm + " " + hardStateTerm);

        GroupCommitLog log = new GroupCommitLog(storage, "crash-log-writer");
        Semaphore slots = new Semaphore(inFlight);
        BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
        Thread reporter = new Thread(() -> report(pending, slots, protocol), "crash-durable-reporter");
        reporter.setDaemon(true);
        reporter.start();

        long next = lastIndex + 1;
        long seq = 0;
        while (true) {
            slots.acquire();
            long from = next;
            if (next - 1 >= maxEntries) {
                // Cut the log back to a quarter..half of the cap: deletes many segments in one truncation.
                from = 1 + maxEntries / 4 + random.nextLong(maxEntries / 4 + 1);
            } else if (next > 1 && random.nextInt(100) < 3) {
                // Replace a recent suffix (up to 200 entries), like a follower meeting a new leader.
                from = next - 1 - random.nextLong(Math.min(200, next - 1));
            }
            if (from < next) {
                term++;
                nextHardState = new HardState(term, NodeId.of(NODE_ID));
            }
            int count = random.nextInt(10) == 0 ? 1 + random.nextInt(256) : 1 + random.nextInt(32);
            List<Entry> entries = new ArrayList<>(count);
            for (long i = from; i < from + count; i++) {
                entries.add(Entry.command(i, term, CrashPayload.of(i, term)));
            }
            seq++;
            // Announced before the storage can see it: the parent must know every write that may be on disk.
            say(protocol, "write " + seq + " " + from + " " + count + " " + term);
            CompletableFuture<Void> done = log.write(nextHardState, entries);
            nextHardState = null;
            pending.add(new Pending(seq, from + count - 1, term, done));
            next = from + count;
        }
    }

    /** Reports writes as durable strictly in submission order, each only once its future has completed. */
    private static void report(BlockingQueue<Pending> pending, Semaphore slots, PrintStream protocol) {
        try {
            while (true) {
                Pending p = pending.take();
                p.done().join();
                say(protocol, "durable " + p.seq() + " " + p.lastIndex() + " " + p.term());
                slots.release();
            }
        } catch (Throwable t) {
            t.printStackTrace(System.err);
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }
    }

    private static void say(PrintStream protocol, String line) {
        // One line per flush, so each line leaves the process in a single write to the pipe.
        synchronized (protocol) {
            protocol.print(line + "\n");
            protocol.flush();
        }
    }
}
