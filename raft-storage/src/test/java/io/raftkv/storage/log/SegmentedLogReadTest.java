package io.raftkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.core.Entry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that {@link SegmentedLog#entries} honours the byte limit the same way wherever the entries come from
 * (the cache, the segment files, or a range that starts on disk and ends in the cache): at least one entry,
 * never over the limit otherwise, stopping only where the next entry would not fit.
 */
class SegmentedLogReadTest {

    /** 600-byte segments and a 400-byte cache: 60 entries span many segments and only the newest are cached. */
    private static final SegmentedLog.Options OPTIONS = new SegmentedLog.Options(600, 400);

    @TempDir
    Path dir;

    static Entry entry(long i) {
        return Entry.command(i, 1 + i / 20, new byte[(int) (i % 7) * 9]);
    }

    static List<Entry> entries(long from, long to) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i));
        }
        return out;
    }

    @Test
    void everyReadHonoursTheByteLimitWhetherServedFromCacheDiskOrBoth() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            log.append(entries(1, 60));
            assertThat(log.segmentCount()).isGreaterThan(3);
            assertReadsHonourLimits(log, 60);
        }
        // After reopening nothing is cached: every read comes from the segment files.
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            assertReadsHonourLimits(log, 60);
        }
    }

    @Test
    void aLimitBelowTheFirstEntryStillReturnsIt() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            log.append(entries(1, 60));
            assertThat(log.entries(60, 60, 0)).containsExactly(entry(60));
            assertThat(log.entries(2, 60, 0)).containsExactly(entry(2));
        }
    }

    @Test
    void aRangeThatEndsBeforeItStartsIsEmptyFromCacheAndDiskAlike() throws IOException {
        // Regression: from the cache this threw IllegalArgumentException (a negative list capacity), while the
        // same read from disk returned an empty list, as the in-memory LogStorage does.
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            log.append(entries(1, 60));
            assertThat(log.entries(60, 59, Long.MAX_VALUE)).isEmpty();
            assertThat(log.entries(60, 50, Long.MAX_VALUE)).as("from the cache").isEmpty();
            assertThat(log.entries(2, 1, Long.MAX_VALUE)).isEmpty();
            assertThat(log.entries(5, 1, Long.MAX_VALUE)).as("from disk").isEmpty();
        }
    }

    @Test
    void readsOutsideTheLogAreRefused() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1)) {
            log.append(entries(1, 10));
            assertThatThrownBy(() -> log.entries(0, 5, Long.MAX_VALUE)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> log.entries(11, 12, Long.MAX_VALUE))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    private static void assertReadsHonourLimits(SegmentedLog log, long last) throws IOException {
        for (long from = 1; from <= last; from++) {
            for (long maxBytes = 0; maxBytes <= 900; maxBytes += 13) {
                List<Entry> got = log.entries(from, last, maxBytes);
                String ctx = "entries(" + from + ".." + last + ", " + maxBytes + "B)";
                assertThat(got).as(ctx).isNotEmpty();
                assertThat(got).as(ctx).isEqualTo(entries(from, from + got.size() - 1));
                long total = got.stream().mapToLong(Entry::sizeBytes).sum();
                if (got.size() > 1) {
                    assertThat(total).as(ctx + " total").isLessThanOrEqualTo(maxBytes);
                }
                long next = from + got.size();
                if (next <= last) {
                    assertThat(total + entry(next).sizeBytes()).as(ctx + ": the next entry would not have fit")
                            .isGreaterThan(maxBytes);
                }
            }
        }
    }
}
