package io.raftkv.storage.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.storage.DurableStorage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that a process crash never loses or damages an entry the storage reported as durable, and always
 * leaves a consistent log: a real child JVM ({@link CrashWriter}) appends through {@link DurableStorage} and
 * {@link io.raftkv.storage.GroupCommitLog} and is killed with SIGKILL at a random moment, many times over, on
 * the same data directory. After every kill this JVM opens the directory (running recovery, which cuts a
 * torn final record) and checks:
 *
 * <ul>
 *   <li>the log is consecutive from index 1, each entry's record agrees with the in-memory index, terms never
 *       decrease along the log, and no entry's term exceeds the durable hard state's term (the hard state is
 *       written before the entries of a new term);</li>
 *   <li>every entry is intact: its payload is exactly {@link CrashPayload#of(long, long)} of its (index, term);</li>
 *   <li>the log is exactly a state the storage may be in: the state after the last write the child reported
 *       durable, or a state passed through while performing one of the writes the child announced after that
 *       (a write replacing a suffix first removes it, then appends; either step may be cut short). So every
 *       entry reported durable is present with its reported term, unless a later announced write replaced
 *       it; nothing else is ever missing, resurrected or mixed. See {@link CrashWriter} for the protocol that
 *       makes this expectation exact.</li>
 * </ul>
 *
 * Then a new child continues on the same directory (and must see exactly the verified log), and so on.
 *
 * <p>What SIGKILL covers and what it does not: the kernel keeps the page cache of a killed process, so this
 * test exercises crashes at every point of the storage's code (between writes, truncations, segment rolls,
 * renames and deletions) and torn records only where a kill lands inside a write system call. It does not
 * simulate power loss (losing what was written but not fsynced); that is the fault tests' job.
 *
 * <p>Timing decides only where the kills land, never the verdict: the parent waits for the child's output
 * with bounded waits (a deadline that fails the test if exceeded) and implements the random delay before a
 * kill as a timed poll of the child's output, which it consumes meanwhile. Knobs: {@code -Draftkv.crash.kills}
 * (default {@value #DEFAULT_KILLS}), {@code -Draftkv.crash.seed} (printed at the start, to repeat the choices
 * of a run; kill timing is not reproducible). A failure keeps its evidence (the newest files before recovery,
 * the directory after it, the child's protocol lines and stderr) under {@code target/crash-failures}.
 */
class ChildProcessCrashTest {

    private static final int DEFAULT_KILLS = 25;
    /** Writes outstanding in the child, so its writer thread groups several per fsync. */
    private static final int IN_FLIGHT = 8;
    /** The child cuts its log back when it reaches this many entries (about 8.5 MB, 30 to 40 segments). */
    private static final long MAX_ENTRIES = 16_384;
    /** Generous bounds for a loaded 2-core machine; only exceeded if something is broken. */
    private static final Duration READY_DEADLINE = Duration.ofSeconds(60);
    private static final Duration FIRST_DURABLE_DEADLINE = Duration.ofSeconds(30);
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(30);
    /** SIGKILL is signal 9; the JDK reports death by signal as 128 + the signal number. */
    private static final int SIGKILL_EXIT_STATUS = 137;

    /** The log and hard-state term verified after a kill: what the next child must find. */
    private record Verified(LogModel log, long hardStateTerm) {
    }

    /** One write the child announced: replace entries from {@code from} on with {@code count} of {@code term}. */
    private record Write(long seq, long from, long count, long term) {
    }

    /** Counters for the summary line. */
    private static final class Stats {
        int kills;
        long durableReports;
        long writesAnnounced;
        long truncatingWrites;
        long entriesVerified;
        int tornTailsCut;
        long tornBytesCut;
        int unfinishedSegmentsRemoved;
        int recoveredAheadOfReports;
        int reportedEntriesReplacedByAnnouncedWrite;
        int failures;
        long verifiedLastIndex;
        int verifiedSegments;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void everyEntryReportedDurableSurvivesRepeatedSigkillOfTheWriterAndTheLogStaysConsistent(@TempDir Path tmp)
            throws Exception {
        int kills = Integer.getInteger("raftkv.crash.kills", DEFAULT_KILLS);
        long seed = Long.getLong("raftkv.crash.seed", System.nanoTime());
        System.out.println("ChildProcessCrashTest: seed " + seed + " (repeat with -Draftkv.crash.seed=" + seed
                + "), " + kills + " kills");
        SplittableRandom random = new SplittableRandom(seed);
        Path dir = tmp.resolve("node");
        Stats stats = new Stats();
        Verified onDisk = new Verified(new LogModel(), 0);
        String classPath = frozenClassPath(tmp.resolve("classpath"));
        long started = System.nanoTime();
        try {
            for (int round = 1; round <= kills; round++) {
                ChildRun run = new ChildRun(onDisk.log());
                runChildAndKillIt(dir, classPath, random, run, onDisk, stats, round);
                onDisk = recoverAndVerify(dir, tmp.resolve("before-recovery"), run, stats, round, seed);
                stats.verifiedLastIndex = onDisk.log().lastIndex();
                stats.verifiedSegments = segmentSizes(dir.resolve("log")).size();
            }
        } catch (Throwable t) {
            stats.failures++;
            throw t;
        } finally {
            System.out.printf("ChildProcessCrashTest summary: seed=%d kills=%d durable-writes-reported=%d "
                            + "writes-announced=%d truncating-writes=%d entries-verified=%d (cumulative over "
                            + "recoveries; last verified log 1..%d in %d segments) torn-tails-cut=%d (%d bytes) "
                            + "unfinished-segments-removed=%d recovered-ahead-of-reports=%d "
                            + "reported-entries-replaced-by-announced-writes=%d failures=%d elapsed=%.1fs%n",
                    seed, stats.kills, stats.durableReports, stats.writesAnnounced, stats.truncatingWrites,
                    stats.entriesVerified, stats.verifiedLastIndex, stats.verifiedSegments, stats.tornTailsCut,
                    stats.tornBytesCut, stats.unfinishedSegmentsRemoved, stats.recoveredAheadOfReports,
                    stats.reportedEntriesReplacedByAnnouncedWrite, stats.failures,
                    (System.nanoTime() - started) / 1e9);
        }
        assertThat(stats.kills).isEqualTo(kills);
    }

    // ------------------------------------------------------------------------------------------ the child

    private static void runChildAndKillIt(Path dir, String classPath, SplittableRandom random, ChildRun run,
                                          Verified expected, Stats stats, int round) throws Exception {
        List<String> command = List.of(javaExecutable(),
                // Small and quick to start: the child only writes.
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classPath,
                CrashWriter.class.getName(), dir.toString(), Long.toString(random.nextLong()),
                Integer.toString(IN_FLIGHT), Long.toString(MAX_ENTRIES));
        Process child = new ProcessBuilder(command).start();
        LineReader stdout = LineReader.start(child.getInputStream(), "crash-child-stdout-" + round);
        StreamTail stderr = StreamTail.start(child.getErrorStream(), "crash-child-stderr-" + round);
        run.stderr = stderr;
        try {
            String ready = stdout.next(READY_DEADLINE);
            if (ready == null || ready == LineReader.EOF || !ready.startsWith("ready ")) {
                fail("round %d: the child did not report ready within %s (got %s); its stderr:%n%s", round,
                        READY_DEADLINE, ready == LineReader.EOF ? "end of output" : ready, stderr.text());
            }
            run.transcript.add(ready);
            long lastIndex = expected.log().lastIndex();
            assertThat(ready).as("round %d: what the child found on opening the verified directory", round)
                    .isEqualTo("ready " + lastIndex + " " + expected.log().term(lastIndex) + " "
                            + expected.hardStateTerm());

            // Bounded wait for the child to be writing, so every kill lands amid writes.
            long deadline = System.nanoTime() + FIRST_DURABLE_DEADLINE.toNanos();
            while (run.durableSeq == 0) {
                String line = stdout.poll(deadline - System.nanoTime());
                if (line == null || line == LineReader.EOF) {
                    fail("round %d: no write reported durable within %s (%s); child stderr:%n%s", round,
                            FIRST_DURABLE_DEADLINE, line == null ? "timed out" : "the child exited",
                            stderr.text());
                }
                run.accept(line, stats);
            }

            // The random moment: mostly within 600 ms, a quarter of the time within 20 ms of the first durable
            // write (soon after start-up). Implemented as a timed poll of the child's output, consumed as it
            // comes; it chooses where the kill lands, never whether the test passes.
            long delayMillis = random.nextInt(4) == 0 ? random.nextInt(20) : random.nextInt(600);
            long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
            for (long left = killAt - System.nanoTime(); left > 0; left = killAt - System.nanoTime()) {
                String line = stdout.poll(left);
                if (line == LineReader.EOF) {
                    fail("round %d: the child exited by itself with status %s; its stderr:%n%s", round,
                            child.waitFor(EXIT_DEADLINE.toSeconds(), TimeUnit.SECONDS) ? child.exitValue() : "?",
                            stderr.text());
                }
                if (line != null) {
                    run.accept(line, stats);
                }
            }

            run.transcript.add("-- SIGKILL sent after " + delayMillis + " ms --");
            // SIGKILL through the process handle: Process.destroyForcibly() would also close our end of the
            // child's stdout, discarding the lines still in the pipe (the last writes announced before the
            // kill), and the expectations would then miss writes that did reach the disk.
            assertThat(child.toHandle().destroyForcibly()).as("round %d: SIGKILL requested", round).isTrue();
            assertThat(child.waitFor(EXIT_DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .as("round %d: the child is gone after SIGKILL", round).isTrue();
            assertThat(child.exitValue()).as("round %d: exit status (128 + SIGKILL) of the killed child; "
                    + "stderr:%n%s", round, stderr.text()).isEqualTo(SIGKILL_EXIT_STATUS);
            stats.kills++;

            // Everything the child printed before it died, to the end of its output.
            while (true) {
                String line = stdout.next(EXIT_DEADLINE);
                if (line == null) {
                    fail("round %d: the child's output did not end within %s of its death", round, EXIT_DEADLINE);
                }
                if (line == LineReader.EOF) {
                    break;
                }
                run.accept(line, stats);
            }
        } finally {
            if (child.isAlive()) {
                child.destroyForcibly();
                child.waitFor(EXIT_DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    /**
     * This JVM's class path with every directory in it (the module's compiled classes and test classes)
     * copied under {@code into}, so that every child runs the code this test started with even if a
     * concurrent build recompiles the module meanwhile. Jars are used in place; a manifest-only jar (how
     * Surefire passes a long class path) is expanded into the entries its {@code Class-Path} names.
     */
    private static String frozenClassPath(Path into) throws IOException {
        List<Path> entries = new ArrayList<>();
        for (String element : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(element).toAbsolutePath();
            entries.add(p);
            if (Files.isRegularFile(p) && element.endsWith(".jar")) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    Manifest manifest = jar.getManifest();
                    String listed = manifest == null ? null
                            : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
                    if (listed != null) {
                        for (String url : listed.trim().split("\\s+")) {
                            entries.add(Path.of(p.toUri().resolve(url)));
                        }
                    }
                }
            }
        }
        StringJoiner classPath = new StringJoiner(File.pathSeparator);
        int copies = 0;
        for (Path p : entries) {
            if (Files.isDirectory(p)) {
                Path copy = into.resolve("dir" + copies++);
                copyRecursively(p, copy);
                classPath.add(copy.toString());
            } else {
                classPath.add(p.toString());
            }
        }
        return classPath.toString();
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    // ------------------------------------------------------------------------------------------ verification

    /**
     * Recovers and verifies; on failure keeps the evidence (see {@link #preserveEvidence}) and names it in the
     * failure message.
     */
    private static Verified recoverAndVerify(Path dir, Path scratch, ChildRun run, Stats stats, int round,
                                             long seed) throws IOException {
        Map<String, Long> before = segmentSizes(dir.resolve("log"));
        copyRecentLogFiles(dir, scratch);
        try {
            return verify(dir, before, run, stats, round);
        } catch (AssertionError | IOException | RuntimeException e) {
            Path kept = preserveEvidence(dir, scratch, before, run, round, seed);
            throw new AssertionError(e.getMessage() + "\n(evidence kept in " + kept + ")", e);
        }
    }

    private static Verified verify(Path dir, Map<String, Long> before, ChildRun run, Stats stats, int round)
            throws IOException {
        Path logDir = dir.resolve("log");
        LogModel recovered = new LogModel();
        long hardStateTerm;
        try (DurableStorage storage = CrashWriter.open(dir)) {
            hardStateTerm = storage.hardState().term();
            assertThat(storage.firstIndex()).as("round %d: first index (no snapshots are taken)", round)
                    .isEqualTo(1);
            long last = storage.lastIndex();
            long next = 1;
            long previousTerm = 0;
            while (next <= last) {
                for (Entry e : storage.entries(next, last, 4 << 20)) {
                    String where = "round " + round + ", entry " + next + " (read " + e + ")";
                    if (e.index() != next) {
                        fail("%s: the log is not consecutive, index %d where %d was expected", where, e.index(),
                                next);
                    }
                    if (e.type() != EntryType.COMMAND) {
                        fail("%s: type %s, but the child writes only commands", where, e.type());
                    }
                    if (storage.term(next) != e.term()) {
                        fail("%s: the index says term %d, the record says %d", where, storage.term(next), e.term());
                    }
                    if (e.term() < previousTerm) {
                        fail("%s: term %d after term %d, terms decrease along the log", where, e.term(),
                                previousTerm);
                    }
                    if (e.term() > hardStateTerm) {
                        fail("%s: term %d is newer than the durable hard state's term %d", where, e.term(),
                                hardStateTerm);
                    }
                    if (!Arrays.equals(e.data(), CrashPayload.of(next, e.term()))) {
                        fail("%s: payload of %d bytes differs from the one written for (%d, %d)", where,
                                e.data().length, next, e.term());
                    }
                    recovered.apply(next, 1, e.term());
                    previousTerm = e.term();
                    next++;
                }
            }
            stats.entriesVerified += last;
        }
        Map<String, Long> after = segmentSizes(logDir);
        for (Map.Entry<String, Long> file : before.entrySet()) {
            Long now = after.get(file.getKey());
            if (file.getKey().endsWith(".tmp") && now == null) {
                stats.unfinishedSegmentsRemoved++;
            } else if (now != null && now < file.getValue()) {
                stats.tornTailsCut++;
                stats.tornBytesCut += file.getValue() - now;
            }
        }
        String problem = run.explainUnexpected(recovered);
        if (problem != null) {
            fail("round %d: %s", round, problem);
        }
        if (!recovered.sameAs(run.durable)) {
            stats.recoveredAheadOfReports++;
        }
        if (!run.durable.isPrefixOf(recovered)) {
            stats.reportedEntriesReplacedByAnnouncedWrite++;
        }
        return new Verified(recovered, hardStateTerm);
    }

    /**
     * Copies, before recovery touches them, the files a crash can leave half-done: the hard state and the
     * newest few segments and unfinished segments. Small (about 1 MB), so it is cheap to do after every kill.
     */
    private static void copyRecentLogFiles(Path dir, Path scratch) throws IOException {
        deleteRecursively(scratch);
        Files.createDirectories(scratch.resolve("log"));
        List<String> names = new ArrayList<>(segmentSizes(dir.resolve("log")).keySet());
        names.sort(null);
        for (String name : names.subList(Math.max(0, names.size() - 6), names.size())) {
            Files.copy(dir.resolve("log").resolve(name), scratch.resolve("log").resolve(name));
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, Files::isRegularFile)) {
            for (Path f : files) {
                Files.copy(f, scratch.resolve(f.getFileName()));
            }
        }
    }

    /**
     * Keeps what is needed to understand a failure under {@code target/crash-failures} (or
     * {@code -Draftkv.crash.evidence}): the newest files as they were before recovery, the whole directory
     * after it, the file sizes before and after, the child's protocol lines and the end of its stderr.
     */
    private static Path preserveEvidence(Path dir, Path scratch, Map<String, Long> before, ChildRun run,
                                         int round, long seed) {
        Path kept = Path.of(System.getProperty("raftkv.crash.evidence", "target/crash-failures"))
                .resolve("seed-" + seed + "-round-" + round).toAbsolutePath();
        try {
            deleteRecursively(kept);
            Files.createDirectories(kept);
            copyRecursively(scratch, kept.resolve("before-recovery"));
            copyRecursively(dir, kept.resolve("after-recovery"));
            StringBuilder report = new StringBuilder();
            report.append("files before recovery: ").append(new java.util.TreeMap<>(before)).append('\n');
            report.append("files after recovery:  ").append(new java.util.TreeMap<>(segmentSizes(dir.resolve("log"))))
                    .append('\n');
            report.append("log when the child started: ").append(run.start).append('\n');
            report.append("protocol lines:\n");
            run.transcript.forEach(l -> report.append(l).append('\n'));
            report.append("child stderr (end):\n").append(run.stderr == null ? "" : run.stderr.text());
            Files.writeString(kept.resolve("report.txt"), report);
        } catch (IOException | RuntimeException e) {
            System.err.println("could not keep the evidence in " + kept + ": " + e);
        }
        return kept;
    }

    private static void copyRecursively(Path from, Path to) throws IOException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(from)) {
            all = walk.sorted().toList();
        }
        for (Path p : all) {
            Path target = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(target);
            } else {
                Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            Files.delete(p);
        }
    }

    /** Sizes of the files in the log directory (segments and unfinished segments), by name. */
    private static Map<String, Long> segmentSizes(Path logDir) throws IOException {
        Map<String, Long> sizes = new HashMap<>();
        if (Files.isDirectory(logDir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(logDir)) {
                for (Path f : files) {
                    sizes.put(f.getFileName().toString(), Files.size(f));
                }
            }
        }
        return sizes;
    }

    /**
     * The parent's knowledge of one child: the log when it started, the state after the last write it
     * reported durable, and the writes it announced since.
     */
    private static final class ChildRun {

        /** The verified log the child started on. */
        final LogModel start;
        /** State after the last write reported durable (initially {@link #start}). */
        final LogModel durable;
        /** State after every announced write; only to check that the child's writes fit the log. */
        final LogModel announced;
        /** Announced, not yet reported durable, in order. */
        final ArrayDeque<Write> pending = new ArrayDeque<>();
        /** Every protocol line, for the evidence of a failure. */
        final List<String> transcript = new ArrayList<>();
        StreamTail stderr;
        long lastSeq;
        long durableSeq;

        ChildRun(LogModel start) {
            this.start = start.copy();
            this.durable = start.copy();
            this.announced = start.copy();
        }

        void accept(String line, Stats stats) {
            transcript.add(line);
            String[] f = line.split(" ");
            switch (f[0]) {
                case "write" -> {
                    Write w = new Write(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                            Long.parseLong(f[4]));
                    assertThat(w.seq()).as("sequence of '%s'", line).isEqualTo(lastSeq + 1);
                    if (w.from() <= announced.lastIndex()) {
                        stats.truncatingWrites++;
                    }
                    announced.apply(w.from(), w.count(), w.term());
                    lastSeq = w.seq();
                    pending.add(w);
                    stats.writesAnnounced++;
                }
                case "durable" -> {
                    long seq = Long.parseLong(f[1]);
                    Write w = pending.poll();
                    assertThat(w).as("'%s' reports a write that was never announced", line).isNotNull();
                    assertThat(seq).as("'%s' out of order", line).isEqualTo(w.seq());
                    durable.apply(w.from(), w.count(), w.term());
                    assertThat(line).as("durable report").isEqualTo("durable " + seq + " " + durable.lastIndex()
                            + " " + w.term());
                    durableSeq = seq;
                    stats.durableReports++;
                }
                default -> fail("unexpected line from the child on stdout: '%s'", line);
            }
        }

        /**
         * Null if {@code recovered} is a state the storage may be in after the kill, else why not. Allowed:
         * the state after the last reported write; and for each announced write w (in order), any prefix of
         * the state before w or after w that keeps at least the entries before w's first index (w removes the
         * suffix it replaces, then appends; a kill may cut either short, and recovery may cut a torn record).
         */
        String explainUnexpected(LogModel recovered) {
            if (recovered.sameAs(durable)) {
                return null;
            }
            LogModel state = durable.copy();
            for (Write w : pending) {
                boolean keepsUntouchedPrefix = recovered.lastIndex() >= w.from() - 1;
                if (keepsUntouchedPrefix && recovered.isPrefixOf(state)) {
                    return null;
                }
                state.apply(w.from(), w.count(), w.term());
                if (keepsUntouchedPrefix && recovered.isPrefixOf(state)) {
                    return null;
                }
            }
            return "the recovered log " + recovered + " is not a state the storage may be in: the last write "
                    + "reported durable (#" + durableSeq + ") left " + durable + ", and the writes announced "
                    + "after it are " + pending;
        }
    }

    // ------------------------------------------------------------------------------------------ child output

    /**
     * Reads the child's stdout on its own thread and hands over complete lines only: a line the kill cut
     * before its newline is dropped, never parsed as a shorter number. Ends with {@link #EOF}.
     */
    private static final class LineReader implements Runnable {

        static final String EOF = new String("<end of output>");

        private final InputStream in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private LineReader(InputStream in) {
            this.in = in;
        }

        static LineReader start(InputStream in, String name) {
            LineReader reader = new LineReader(in);
            Thread t = new Thread(reader, name);
            t.setDaemon(true);
            t.start();
            return reader;
        }

        /** The next line, {@link #EOF}, or null if none came within {@code timeoutNanos}. */
        String poll(long timeoutNanos) throws InterruptedException {
            return lines.poll(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
        }

        String next(Duration timeout) throws InterruptedException {
            return poll(timeout.toNanos());
        }

        @Override
        public void run() {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try (in) {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines.add(line.toString(StandardCharsets.US_ASCII));
                            line.reset();
                        } else {
                            line.write(buf[i]);
                        }
                    }
                }
            } catch (IOException e) {
                // Only if the stream was closed on this side; the kill below takes care never to do that.
            } finally {
                lines.add(EOF);
            }
        }
    }

    /** Keeps the last {@value #KEEP} characters of the child's stderr, for failure messages. */
    private static final class StreamTail implements Runnable {

        private static final int KEEP = 16 << 10;
        private final InputStream in;
        private final StringBuilder tail = new StringBuilder();

        private StreamTail(InputStream in) {
            this.in = in;
        }

        static StreamTail start(InputStream in, String name) {
            StreamTail reader = new StreamTail(in);
            Thread t = new Thread(reader, name);
            t.setDaemon(true);
            t.start();
            return reader;
        }

        synchronized String text() {
            return tail.toString();
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    synchronized (this) {
                        tail.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        if (tail.length() > KEEP) {
                            tail.delete(0, tail.length() - KEEP);
                        }
                    }
                }
            } catch (IOException e) {
                // The child is gone.
            }
        }
    }
}
