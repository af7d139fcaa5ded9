package io.raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.storage.log.SegmentedLog;
import io.raftkv.storage.snapshot.StoredSnapshot;
import io.raftkv.storage.snapshot.SnapshotWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Proves how opening a data directory treats damage and foreign data, one fault per test:
 *
 * <ul>
 *   <li>what a crash can leave (a torn or partial final record, garbage or zeros after the last record of the
 *       last segment, an unfinished segment file) is cut off with a warning naming the file and offset, and the
 *       log opens with every intact entry;</li>
 *   <li>everything else (a bad record followed by intact ones, damage in an older segment, a missing segment,
 *       a segment of a newer format, a snapshot or hard state that fails its checksum, another cluster's or
 *       node's directory, a non-empty directory without identity, a directory in use) refuses to start with an
 *       exception naming the file, the offset where one applies, and what to do, and leaves every file exactly
 *       as it was, byte for byte.</li>
 * </ul>
 *
 * The tests damage the files directly, so they pin the on-disk format: a segment is a 28-byte header (magic,
 * version at offset 8, first index at 12, flags, CRC32C of the first 24 bytes at 24) followed by records of
 * length (4), CRC32C (4), index (8), term (8), type (1) and the payload.
 */
class StorageRecoveryTest {

    static final String CLUSTER = "recovery";
    static final String NODE = "n1";
    private static final Configuration MEMBERS = Configuration.ofVoters("n1", "n2", "n3");
    /** Small segments: a few dozen entries make several segment files. */
    private static final DurableStorage.Options OPTIONS =
            new DurableStorage.Options(new SegmentedLog.Options(600, 2000));
    private static final int HEADER_BYTES = 28;
    private static final int FRAME_BYTES = 8;
    private static final int FIXED_BODY_BYTES = 17;

    @TempDir
    Path root;

    private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    private final List<Logger> watched = new ArrayList<>();

    @BeforeEach
    void captureWarnings() {
        warnings.start();
        for (String name : List.of("io.raftkv.storage.log.Segment", "io.raftkv.storage.log.SegmentedLog",
                "io.raftkv.storage.DurableStorage")) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            logger.addAppender(warnings);
            watched.add(logger);
        }
    }

    @AfterEach
    void stopCapturing() {
        watched.forEach(l -> l.detachAppender(warnings));
    }

    // ------------------------------------------------------------------------------------------ crash leftovers

    @ParameterizedTest(name = "{0} bytes of the final record written")
    @ValueSource(ints = {4, 7, 8, 30, -1})
    void aTornFinalRecordIsCutOffWithAWarningAndTheIntactEntriesSurvive(int keptBytes) throws IOException {
        writeEntries(40);
        Path tail = lastSegment();
        long lastRecord = last(recordOffsets(tail));
        long recordEnd = Files.size(tail);
        // -1: all but the final byte of the record made it to disk.
        long cut = keptBytes < 0 ? recordEnd - 1 : lastRecord + keptBytes;
        truncate(tail, cut);

        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(39);
            assertThat(storage.entries(1, 39, Long.MAX_VALUE)).isEqualTo(entries(1, 39));
        }
        assertWarned(tail, lastRecord);
        assertThat(Files.size(tail)).as("the torn bytes are gone").isEqualTo(lastRecord);
    }

    @Test
    void theLogContinuesNormallyAfterATornTailWasCut() throws IOException {
        writeEntries(40);
        Path tail = lastSegment();
        truncate(tail, Files.size(tail) - 5);
        try (DurableStorage storage = open()) {
            Entry replacement = Entry.command(40, 7, "written again after the crash".getBytes(StandardCharsets.UTF_8));
            storage.append(List.of(replacement, entry(41)));
            storage.sync();
        }
        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(41);
            assertThat(storage.entries(40, 40, Long.MAX_VALUE).get(0).term()).isEqualTo(7);
            assertThat(storage.entries(1, 39, Long.MAX_VALUE)).isEqualTo(entries(1, 39));
        }
    }

    @Test
    void aTornFirstRecordOfTheNewestSegmentLeavesItEmptyAndTheOlderSegmentsIntact() throws IOException {
        writeEntries(40);
        Path tail = lastSegment();
        long firstOfTail = firstIndexOf(tail);
        // Leave only the header and a sliver of the first record: the crash came right after a roll.
        truncate(tail, HEADER_BYTES + 5);
        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(firstOfTail - 1);
            assertThat(storage.entries(1, firstOfTail - 1, Long.MAX_VALUE)).isEqualTo(entries(1, firstOfTail - 1));
        }
        assertWarned(tail, HEADER_BYTES);
    }

    @Test
    void garbageAppendedAtTheTailIsCutOff() throws IOException {
        writeEntries(40);
        Path tail = lastSegment();
        long end = Files.size(tail);
        byte[] garbage = new byte[100];
        new Random(42).nextBytes(garbage);
        appendBytes(tail, garbage);

        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(40);
            assertThat(storage.entries(1, 40, Long.MAX_VALUE)).isEqualTo(entries(1, 40));
        }
        assertWarned(tail, end);
        assertThat(Files.size(tail)).isEqualTo(end);
    }

    @Test
    void zerosAfterTheLastRecordAreFreeSpaceThatTheNextAppendsOverwrite() throws IOException {
        // What a file system can leave when the file's length reached the disk but its last data did not, and
        // what a preallocated segment holds after its records: zeros are never a record (a record's length
        // field is at least 17), so they are free space, kept as they are and written over by the next appends.
        writeEntries(40);
        appendBytes(lastSegment(), new byte[4096]);

        try (DurableStorage storage = open()) {
            assertThat(storage.entries(1, 40, Long.MAX_VALUE)).isEqualTo(entries(1, 40));
            storage.append(List.of(entry(41), entry(42)));
            storage.sync();
        }
        assertThat(warnings.list).as("warnings").isEmpty();
        try (DurableStorage storage = open()) {
            assertThat(storage.entries(1, 42, Long.MAX_VALUE)).isEqualTo(entries(1, 42));
        }
    }

    @Test
    void aTornRecordOfWhichOnlyZeroBytesReachedTheDiskIsFreeSpace() throws IOException {
        // The first bytes of a record are the high bytes of its length, zero for any record under 16 MiB.
        writeEntries(40);
        Path tail = lastSegment();
        long lastRecord = last(recordOffsets(tail));
        truncate(tail, lastRecord + 1);
        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(39);
            assertThat(storage.entries(1, 39, Long.MAX_VALUE)).isEqualTo(entries(1, 39));
        }
        assertThat(warnings.list).as("warnings").isEmpty();
    }

    @Test
    void anUnfinishedSegmentFileIsRemovedWithAWarning() throws IOException {
        writeEntries(40);
        Path unfinished = root.resolve("log").resolve(String.format("%020d.seg.tmp", 41));
        Files.write(unfinished, new byte[] {'R', 'A', 'F'});
        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(40);
        }
        assertThat(unfinished).doesNotExist();
        assertThat(warnings.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains(unfinished.getFileName().toString()));
    }

    // --------------------------------------------------------------------------------------- damage in the log

    @Test
    void aFlippedByteInTheMiddleOfASegmentRefusesToStart() throws IOException {
        writeEntries(60);
        List<Path> segments = segments();
        assertThat(segments).hasSizeGreaterThanOrEqualTo(3);
        Path middle = segments.get(segments.size() / 2);
        List<Long> records = recordOffsets(middle);
        long damaged = records.get(records.size() / 2);
        flipByte(middle, damaged + FRAME_BYTES + FIXED_BODY_BYTES + 3);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.file()).isEqualTo(middle);
        assertThat(e.offset()).isEqualTo(damaged);
        assertThat(e.getMessage()).contains(middle.getFileName().toString(), "offset " + damaged,
                "fails its checksum", "do not delete anything");
    }

    @Test
    void aBadRecordFollowedByIntactOnesInTheNewestSegmentRefusesToStart() throws IOException {
        // In the newest segment a bad final record would be a torn write; a bad record with intact ones after it
        // cannot be, since records are written in order.
        writeEntries(40);
        Path tail = lastSegment();
        List<Long> records = recordOffsets(tail);
        assertThat(records).hasSizeGreaterThanOrEqualTo(3);
        long damaged = records.get(0);
        flipByte(tail, damaged + FRAME_BYTES + 2);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(tail.getFileName().toString(), "offset " + damaged,
                "an intact record follows at offset " + records.get(1));
    }

    @Test
    void aDamagedLengthFieldInTheMiddleOfASegmentRefusesToStart() throws IOException {
        writeEntries(40);
        Path tail = lastSegment();
        List<Long> records = recordOffsets(tail);
        long damaged = records.get(1);
        // A huge length makes the record run past the end of the file, like a torn write would.
        flipByte(tail, damaged);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(tail.getFileName().toString(), "offset " + damaged);
    }

    @Test
    void aDamagedFinalRecordOfAnOlderSegmentRefusesToStart() throws IOException {
        // Only the newest segment can hold a torn write: a segment is synced before the next one is started.
        writeEntries(40);
        Path older = segments().get(0);
        long damaged = last(recordOffsets(older));
        flipByte(older, Files.size(older) - 1);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(older.getFileName().toString(), "offset " + damaged);
    }

    @Test
    void aDeletedMiddleSegmentRefusesToStartNamingTheGap() throws IOException {
        writeEntries(60);
        List<Path> segments = segments();
        assertThat(segments).hasSizeGreaterThanOrEqualTo(3);
        Path before = segments.get(0);
        Path deleted = segments.get(1);
        Path after = segments.get(2);
        long missingFrom = firstIndexOf(deleted);
        long missingTo = firstIndexOf(after) - 1;
        Files.delete(deleted);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.file()).isEqualTo(after);
        assertThat(e.getMessage()).contains(after.getFileName().toString(), before.getFileName().toString(),
                "entries " + missingFrom + ".." + missingTo + " are missing", "Restore the missing segment");
    }

    @Test
    void aGapIsRefusedWithoutCuttingATornTailOrRemovingUnfinishedFiles() throws IOException {
        // Refusal must leave everything for inspection, even what a successful open would have cleaned up.
        writeEntries(60);
        List<Path> segments = segments();
        // The gap is just before the newest segment, so that segment has been read when the gap is found.
        Files.delete(segments.get(segments.size() - 2));
        Path tail = last(segments);
        appendBytes(tail, new byte[] {1, 2, 3});
        Files.write(root.resolve("log").resolve(String.format("%020d.seg.tmp", 999)), new byte[] {9});

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains("are missing");
        assertThat(warnings.list).as("nothing was cut, so nothing was announced").isEmpty();
    }

    @Test
    void aDeletedFirstSegmentWithoutASnapshotRefusesToStart() throws IOException {
        writeEntries(60);
        Path first = segments().get(0);
        long second = firstIndexOf(segments().get(1));
        Files.delete(first);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains("the log starts at index " + second, "no snapshot");
    }

    @Test
    void aSegmentOfANewerFormatVersionIsRefused() throws IOException {
        writeEntries(20);
        Path first = segments().get(0);
        rewriteHeader(first, header -> header.putInt(8, 2));

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(first.getFileName().toString(), "offset 8", "format version 2",
                "Run the raftkv version that wrote this data directory");
    }

    @Test
    void aSegmentWithADamagedHeaderIsRefused() throws IOException {
        writeEntries(20);
        Path first = segments().get(0);
        flipByte(first, 13);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(first.getFileName().toString(), "offset 0", "header");
    }

    @Test
    void aStrayFileInTheLogDirectoryIsRefused() throws IOException {
        writeEntries(5);
        Files.writeString(root.resolve("log").resolve("notes.txt"), "hello");

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains("notes.txt", "unexpected file");
    }

    // ----------------------------------------------------------------------------------------------- snapshots

    @Test
    void aCorruptedSnapshotRefusesToStart() throws IOException {
        writeEntries(40);
        takeSnapshot(30);
        Path data = snapshotFile("data");
        flipByte(data, Files.size(data) / 2);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.file()).isEqualTo(data);
        assertThat(e.getMessage()).contains(data.toString(), "fails its checksum", "nothing was deleted");
    }

    @Test
    void aSnapshotWithMissingDataRefusesToStartNamingWhereItEnds() throws IOException {
        writeEntries(40);
        takeSnapshot(30);
        Path data = snapshotFile("data");
        long size = Files.size(data);
        truncate(data, size - 10);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(data.toString(), "offset " + (size - 10), "metadata says " + size);
    }

    @Test
    void aSnapshotWhoseMetadataWasEditedRefusesToStart() throws IOException {
        writeEntries(40);
        takeSnapshot(30);
        Path meta = snapshotFile("meta");
        String text = Files.readString(meta);
        Files.writeString(meta, text.replace("index=30", "index=31"));

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(meta.toString(), "offset", "do not match their checksum");
    }

    @Test
    void aCorruptedSnapshotIsRefusedWithoutRemovingAnUnfinishedOne() throws IOException {
        // Regression: unfinished snapshots were removed before the newest one was verified, so a refused open
        // still deleted files.
        writeEntries(40);
        takeSnapshot(30);
        Path data = snapshotFile("data");
        flipByte(data, 0);
        Path unfinished = root.resolve("snapshots").resolve("tmp-35-abc");
        Files.createDirectory(unfinished);
        Files.writeString(unfinished.resolve("data"), "half a snapshot");

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains("fails its checksum");
    }

    @Test
    void anUnfinishedSnapshotIsRemovedAtOpen() throws IOException {
        writeEntries(40);
        takeSnapshot(30);
        Path unfinished = root.resolve("snapshots").resolve("tmp-35-abc");
        Files.createDirectory(unfinished);
        Files.writeString(unfinished.resolve("data"), "half a snapshot");

        try (DurableStorage storage = open()) {
            assertThat(storage.latestSnapshot().map(StoredSnapshot::index)).contains(30L);
            assertThat(storage.entries(31, 40, Long.MAX_VALUE)).isEqualTo(entries(31, 40));
        }
        assertThat(unfinished).doesNotExist();
    }

    @Test
    void aSnapshotInstallInterruptedBeforeTheLogWasDiscardedIsFinishedAtOpen() throws IOException {
        writeEntries(40);
        // A leader's snapshot at 20 in a term this log does not have there: published, then the crash.
        try (DurableStorage storage = open()) {
            publish(storage, 20, 99);
        }
        try (DurableStorage storage = open()) {
            assertThat(storage.firstIndex()).isEqualTo(21);
            assertThat(storage.lastIndex()).isEqualTo(20);
            assertThat(storage.term(20)).isEqualTo(99);
        }
        assertThat(warnings.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains("finishing an interrupted snapshot install"));
    }

    @Test
    void aSnapshotInstallBeyondTheEndOfTheLogInterruptedBeforeTheLogWasDiscardedIsFinishedAtOpen()
            throws IOException {
        writeEntries(40);
        try (DurableStorage storage = open()) {
            publish(storage, 55, 9);
        }
        try (DurableStorage storage = open()) {
            assertThat(storage.firstIndex()).isEqualTo(56);
            assertThat(storage.lastIndex()).isEqualTo(55);
            assertThat(storage.term(55)).isEqualTo(9);
            storage.append(List.of(Entry.command(56, 9, new byte[] {1})));
            storage.sync();
        }
        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(56);
        }
        assertThat(warnings.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains("the log ends at 40, before snapshot 55/9"));
    }

    @Test
    void aSnapshotInstallInterruptedWhileDiscardingTheLogIsFinishedAtOpen() throws IOException {
        // Regression: the log used to be discarded oldest segment first, so a crash in the middle left a suffix
        // of it, starting after the snapshot; open then refused the directory as if entries were missing.
        writeEntries(80);
        List<Path> segments = segments();
        assertThat(segments).hasSizeGreaterThanOrEqualTo(5);
        Path crashAt = segments.get(segments.size() / 2);
        byte[] crashAtBytes = Files.readAllBytes(crashAt);
        try (DurableStorage storage = open()) {
            StoredSnapshot meta = publish(storage, 3, 99);
            // The crash: deleting this segment fails (a non-empty directory now has its name), so the install
            // stops part way with exactly the files that were not deleted yet.
            Files.delete(crashAt);
            Files.createDirectory(crashAt);
            Files.writeString(crashAt.resolve("x"), "x");
            assertThatThrownBy(() -> storage.installSnapshot(meta)).isInstanceOf(IOException.class);
        }
        Files.delete(crashAt.resolve("x"));
        Files.delete(crashAt);
        Files.write(crashAt, crashAtBytes);

        try (DurableStorage storage = open()) {
            assertThat(storage.firstIndex()).isEqualTo(4);
            assertThat(storage.lastIndex()).isEqualTo(3);
            assertThat(storage.term(3)).isEqualTo(99);
        }
        assertThat(segments()).hasSize(1);
    }

    // --------------------------------------------------------------------------------------- identity and lock

    @Test
    void aDataDirectoryOfAnotherClusterIsRefused() throws IOException {
        open().close();
        DirectoryContents before = DirectoryContents.of(root);
        assertThatThrownBy(() -> DurableStorage.open(root, "other-cluster", NodeId.of(NODE), MEMBERS, OPTIONS))
                .isInstanceOf(StorageCorruptionException.class)
                .hasMessageContaining("raftkv.meta")
                .hasMessageContaining("belongs to cluster '" + CLUSTER + "', not 'other-cluster'");
        assertThat(DirectoryContents.of(root)).isEqualTo(before);
    }

    @Test
    void aDataDirectoryOfAnotherNodeIsRefused() throws IOException {
        open().close();
        DirectoryContents before = DirectoryContents.of(root);
        assertThatThrownBy(() -> DurableStorage.open(root, CLUSTER, NodeId.of("n2"), MEMBERS, OPTIONS))
                .isInstanceOf(StorageCorruptionException.class)
                .hasMessageContaining("raftkv.meta")
                .hasMessageContaining("belongs to node '" + NODE + "', not 'n2'");
        assertThat(DirectoryContents.of(root)).isEqualTo(before);
    }

    @Test
    void aNonEmptyDirectoryWithoutIdentityIsRefused() throws IOException {
        // Regression: the refusal used to leave a LOCK file behind in the foreign directory.
        Files.writeString(root.resolve("notes.txt"), "someone else's file");
        Files.createDirectory(root.resolve("log"));
        DirectoryContents before = DirectoryContents.of(root);

        assertThatThrownBy(this::open)
                .isInstanceOf(StorageCorruptionException.class)
                .hasMessageContaining(root.toString())
                .hasMessageContaining("has no raftkv.meta")
                .hasMessageContaining("Point --data-dir at an empty directory");
        assertThat(DirectoryContents.of(root)).isEqualTo(before);
    }

    @Test
    void anIdentityFileThatFailsItsChecksumIsRefused() throws IOException {
        open().close();
        Path meta = root.resolve("raftkv.meta");
        Files.writeString(meta, Files.readString(meta).replace("node-id=" + NODE, "node-id=n9"));
        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(meta.toString(), "offset", "do not match their checksum");
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() throws IOException {
        DurableStorage first = open();
        try {
            assertThatThrownBy(this::open)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(root.toString())
                    .hasMessageContaining("is in use")
                    .hasMessageContaining("already open in this process");
        } finally {
            first.close();
        }
        open().close();
    }

    @Test
    void anotherProcessIsRefusedWhileTheDirectoryIsOpenEvenAfterARefusedSecondOpenHere() throws Exception {
        // Regression: the JDK's file locks are per process, and closing any channel of the LOCK file drops the
        // process's lock; the refused second open here closed its channel and so unlocked the directory for
        // everyone else.
        DurableStorage first = open();
        try {
            assertThatThrownBy(this::open).hasMessageContaining("in use");
            assertThat(runLockProbe()).as("exit status of another process opening the directory (2: refused)")
                    .isEqualTo(2);
        } finally {
            first.close();
        }
        assertThat(runLockProbe()).as("exit status once the directory is closed (0: opened)").isZero();
    }

    // -------------------------------------------------------------------------------------------- hard state

    @Test
    void theHardStateSurvivesReopening() throws IOException {
        try (DurableStorage storage = open()) {
            assertThat(storage.hardState()).isEqualTo(HardState.INITIAL);
            storage.writeHardState(new HardState(5, NodeId.of("n2")));
        }
        try (DurableStorage storage = open()) {
            assertThat(storage.hardState()).isEqualTo(new HardState(5, NodeId.of("n2")));
            storage.writeHardState(new HardState(6, null));
        }
        try (DurableStorage storage = open()) {
            assertThat(storage.hardState()).isEqualTo(new HardState(6, null));
        }
    }

    @Test
    void aDamagedHardStateFileIsRefused() throws IOException {
        try (DurableStorage storage = open()) {
            storage.writeHardState(new HardState(5, NodeId.of("n2")));
        }
        Path file = root.resolve("hardstate");
        Files.writeString(file, Files.readString(file).replace("term=5", "term=9"));

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).contains(file.toString(), "offset", "do not match their checksum",
                "must not vote again blindly");
    }

    @Test
    void aTruncatedHardStateFileIsRefused() throws IOException {
        try (DurableStorage storage = open()) {
            storage.writeHardState(new HardState(5, NodeId.of("n2")));
        }
        Path file = root.resolve("hardstate");
        truncate(file, Files.size(file) / 2);

        StorageCorruptionException e = assertRefusedUnchanged();
        assertThat(e.getMessage()).contains(file.toString(), "checksum line is missing");
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private DurableStorage open() throws IOException {
        return DurableStorage.open(root, CLUSTER, NodeId.of(NODE), MEMBERS, OPTIONS);
    }

    /** Opening must fail with a corruption report and change nothing on disk. */
    private StorageCorruptionException assertRefusedUnchanged() {
        DirectoryContents before = DirectoryContents.of(root);
        StorageCorruptionException e = null;
        try {
            open().close();
        } catch (StorageCorruptionException refused) {
            e = refused;
        } catch (IOException other) {
            throw new AssertionError("expected a StorageCorruptionException, got " + other, other);
        }
        assertThat(e).as("open must refuse").isNotNull();
        assertThat(DirectoryContents.of(root)).as("files after the refusal").isEqualTo(before);
        return e;
    }

    private void assertWarned(Path file, long offset) {
        assertThat(warnings.list).as("warnings").anySatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getLoggerName()).isEqualTo("io.raftkv.storage.log.Segment");
            assertThat(e.getFormattedMessage()).contains(file.toString(), "offset " + offset);
        });
    }

    static Entry entry(long index) {
        byte[] data = new byte[40 + (int) (index % 7) * 3];
        new Random(index).nextBytes(data);
        return Entry.command(index, 1 + (index - 1) / 10, data);
    }

    static List<Entry> entries(long from, long to) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i));
        }
        return out;
    }

    /** Writes entries 1..n (in batches of 5, synced) and closes. */
    private void writeEntries(long n) throws IOException {
        try (DurableStorage storage = open()) {
            for (long i = 1; i <= n; i += 5) {
                storage.append(entries(i, Math.min(n, i + 4)));
            }
            storage.sync();
        }
    }

    private void takeSnapshot(long index) throws IOException {
        try (DurableStorage storage = open()) {
            StoredSnapshot meta = publish(storage, index, storage.term(index));
            storage.compactTo(meta, 0);
        }
    }

    private static StoredSnapshot publish(DurableStorage storage, long index, long term) throws IOException {
        try (SnapshotWriter writer = storage.beginSnapshot(index, term, MEMBERS)) {
            try (OutputStream out = writer.data()) {
                byte[] data = new byte[300];
                new Random(index).nextBytes(data);
                out.write(data);
            }
            return writer.publish();
        }
    }

    private Path snapshotFile(String name) throws IOException {
        try (Stream<Path> snaps = Files.list(root.resolve("snapshots"))) {
            return snaps.filter(p -> p.getFileName().toString().startsWith("snap-")).findFirst().orElseThrow()
                    .resolve(name);
        }
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(root.resolve("log"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
    }

    private Path lastSegment() throws IOException {
        return last(segments());
    }

    private static long firstIndexOf(Path segment) {
        return Long.parseLong(segment.getFileName().toString().substring(0, 20));
    }

    /** Start offsets of the records in an intact segment, found by following the length fields. */
    private static List<Long> recordOffsets(Path segment) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(segment));
        List<Long> out = new ArrayList<>();
        int pos = HEADER_BYTES;
        while (pos < buf.limit()) {
            out.add((long) pos);
            pos += FRAME_BYTES + buf.getInt(pos);
        }
        assertThat(pos).as("records of " + segment + " end exactly at the end of the file").isEqualTo(buf.limit());
        return out;
    }

    private static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }

    private static void truncate(Path file, long size) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    private static void flipByte(Path file, long offset) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) offset] ^= (byte) 0x5A;
        Files.write(file, bytes);
    }

    /** Edits a segment header and recomputes its checksum, as a newer version would have written it. */
    private static void rewriteHeader(Path segment, java.util.function.Consumer<ByteBuffer> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        edit.accept(buf);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 24);
        buf.putInt(24, (int) crc.getValue());
        Files.write(segment, bytes);
    }

    /** Runs {@link LockProbe} in another JVM on this directory and returns its exit status. */
    private int runLockProbe() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), root.toString()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the lock probe did not finish within 60 s");
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() == 1) {
            throw new AssertionError("the lock probe failed:\n" + output);
        }
        return p.exitValue();
    }
}
