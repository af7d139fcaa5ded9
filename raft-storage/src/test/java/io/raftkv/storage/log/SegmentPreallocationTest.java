package io.raftkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.core.Entry;
import io.raftkv.storage.StorageCorruptionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preallocated segments: the next segment is made from a zero-filled file, records end where the zeros begin,
 * and recovery tells that free space apart from a torn write and from damage.
 */
class SegmentPreallocationTest {

    private static final long SEGMENT_BYTES = 16 << 10;
    private static final SegmentedLog.Options OPTIONS = new SegmentedLog.Options(SEGMENT_BYTES, 1 << 20, true);

    @TempDir
    Path dir;

    static Entry entry(long index, long term) {
        byte[] data = new byte[100 + (int) (index % 13) * 7];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (index * 31 + term + i);
        }
        return Entry.command(index, term, data);
    }

    static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i, term));
        }
        return out;
    }

    /** Appends until the log has rolled onto a segment made from the spare; returns the last index written. */
    private long fillUntilPreallocatedTail(SegmentedLog log) throws Exception {
        assertThat(log.awaitSpare(10_000)).isTrue();
        long next = log.lastIndex() + 1;
        int segmentsBefore = log.segmentCount();
        while (log.segmentCount() == segmentsBefore) {
            log.append(List.of(entry(next, 1)));
            next++;
        }
        log.append(entries(next, next + 4, 1));
        log.sync();
        return next + 4;
    }

    private List<Path> segmentFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(Segment.SUFFIX)).sorted().toList();
        }
    }

    private Path lastSegmentFile() throws IOException {
        List<Path> files = segmentFiles();
        return files.get(files.size() - 1);
    }

    @Test
    void theNextSegmentIsPreallocatedAndTheLogReopensToExactlyItsRecords() throws Exception {
        long last;
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            last = fillUntilPreallocatedTail(log);
        }
        Path tail = lastSegmentFile();
        assertThat(Files.size(tail)).as("the tail is the zero-filled spare").isEqualTo(SEGMENT_BYTES);
        assertThat(Files.size(segmentFiles().get(0))).as("a sealed segment holds only its records")
                .isLessThan(SEGMENT_BYTES + 1024);
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.lastIndex()).isEqualTo(last);
            assertThat(log.entries(1, last, Long.MAX_VALUE)).isEqualTo(entries(1, last, 1));
            log.append(entries(last + 1, last + 10, 2));
            log.sync();
        }
        assertThat(Files.size(tail)).as("appends went into the free space, the file did not grow")
                .isEqualTo(SEGMENT_BYTES);
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.entries(last + 1, last + 10, Long.MAX_VALUE)).isEqualTo(entries(last + 1, last + 10, 2));
        }
    }

    @Test
    void aTornWriteInTheFreeSpaceIsCutAndTheRecordsBeforeItStay() throws Exception {
        long last;
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            last = fillUntilPreallocatedTail(log);
        }
        Path tail = lastSegmentFile();
        long end = endOfRecords(tail);
        // Half of a record's frame, then zeros: what a crash in the middle of an append leaves.
        writeAt(tail, end, new byte[] {0, 0, 1, 17, 42, 42, 42});
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.lastIndex()).isEqualTo(last);
            assertThat(log.entries(1, last, Long.MAX_VALUE)).isEqualTo(entries(1, last, 1));
        }
        assertThat(Files.size(tail)).as("cut at the last intact record").isEqualTo(end);
    }

    @Test
    void entriesCutFromAPreallocatedSegmentNeverComeBack() throws Exception {
        long last;
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            last = fillUntilPreallocatedTail(log);
            log.truncateFrom(last - 2);
            log.append(List.of(entry(last - 2, 3)));
            log.sync();
        }
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.lastIndex()).isEqualTo(last - 2);
            assertThat(log.entries(last - 2, last - 2, Long.MAX_VALUE)).containsExactly(entry(last - 2, 3));
        }
    }

    @Test
    void zerosLeftInASealedSegmentByACrashWhileSealingAreFreeSpace() throws Exception {
        long last;
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            last = fillUntilPreallocatedTail(log);
        }
        Path first = segmentFiles().get(0);
        writeAt(first, Files.size(first), new byte[4096]);
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.entries(1, last, Long.MAX_VALUE)).isEqualTo(entries(1, last, 1));
        }
    }

    @Test
    void bytesOtherThanZerosAfterTheRecordsOfASealedSegmentAreRefusedNamingTheFile() throws Exception {
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            fillUntilPreallocatedTail(log);
        }
        Path first = segmentFiles().get(0);
        byte[] damage = new byte[4096];
        damage[100] = 7;
        writeAt(first, Files.size(first), damage);
        assertThatThrownBy(() -> SegmentedLog.open(dir, OPTIONS, 1))
                .isInstanceOf(StorageCorruptionException.class)
                .hasMessageContaining(first.getFileName().toString());
    }

    @Test
    void aSegmentWrittenInLargeSyncsIsFollowedByOneThatGrows() throws Exception {
        // Large syncs: each sync carries 8 entries of ~1 KiB, twice the threshold of these 16 KiB segments.
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.awaitSpare(10_000)).isTrue();
            long next = 1;
            List<Long> tailSizesAfterRolls = new ArrayList<>();
            for (int roll = 0; roll < 2; roll++) {
                int segments = log.segmentCount();
                while (log.segmentCount() == segments) {
                    List<Entry> batch = new ArrayList<>();
                    for (int i = 0; i < 8; i++, next++) {
                        batch.add(Entry.command(next, 1, new byte[1000]));
                    }
                    log.append(batch);
                    log.sync();
                }
                tailSizesAfterRolls.add(Files.size(lastSegmentFile()));
            }
            assertThat(log.awaitSpare(0)).as("no spare is prepared after a segment of large syncs").isFalse();
            assertThat(tailSizesAfterRolls.get(0)).as("the spare prepared at open was still used")
                    .isEqualTo(SEGMENT_BYTES);
            assertThat(tailSizesAfterRolls.get(1)).as("the next segment grows with its records")
                    .isLessThan(SEGMENT_BYTES);
        }
    }

    @Test
    void aSpareDeletedWhileTheLogRunsOnlyCostsThePreallocationOfOneSegment() throws Exception {
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.awaitSpare(10_000)).isTrue();
            Files.delete(dir.resolve(SegmentedLog.SPARE));
            long next = 1;
            while (log.segmentCount() == 1) {
                log.append(List.of(entry(next, 1)));
                next++;
            }
            log.sync();
            List<Path> files = segmentFiles();
            assertThat(Files.size(files.get(1))).as("the new segment grows").isLessThan(SEGMENT_BYTES);
            assertThat(log.awaitSpare(10_000)).as("another spare is prepared").isTrue();
            assertThat(log.entries(1, next - 1, Long.MAX_VALUE)).isEqualTo(entries(1, next - 1, 1));
        }
    }

    @Test
    void aLeftoverSpareIsRemovedAtOpenAndAnotherIsPrepared() throws Exception {
        Files.write(dir.resolve(SegmentedLog.SPARE), new byte[] {1, 2, 3});
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertThat(log.awaitSpare(10_000)).isTrue();
            assertThat(Files.size(dir.resolve(SegmentedLog.SPARE))).isEqualTo(SEGMENT_BYTES);
            assertThat(log.lastIndex()).isZero();
            assertThat(segmentFiles()).as("a new log's first segment is preallocated too").singleElement()
                    .satisfies(first -> assertThat(Files.size(first)).isEqualTo(SEGMENT_BYTES));
        }
    }

    /** Offset just past the last record (the frames are walked from the header until the zeros). */
    private static long endOfRecords(Path segment) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(segment));
        int pos = Segment.HEADER_BYTES;
        while (pos + 4 <= buf.limit() && buf.getInt(pos) != 0) {
            pos += RecordFormat.FRAME_BYTES + buf.getInt(pos);
        }
        return pos;
    }

    private static void writeAt(Path file, long at, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            long p = at;
            while (b.hasRemaining()) {
                p += ch.write(b, p);
            }
        }
    }
}
