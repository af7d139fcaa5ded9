package io.raftkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.core.Entry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link EntryCache} holds a contiguous range of the newest entries within its byte budget (but
 * always at least the last one), follows truncations and prefix removals, and serves reads that respect the
 * byte limit: at least one entry, never over the limit otherwise.
 */
class EntryCacheTest {

    /** Entry {@code i} with {@code i % 5 * 10} payload bytes, so sizes vary: 24, 34, 44, 54, 64 bytes. */
    static Entry entry(long i) {
        return Entry.command(i, 1, new byte[(int) (i % 5) * 10]);
    }

    static List<Entry> entries(long from, long to) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i));
        }
        return out;
    }

    @Test
    void aReadReturnsAtLeastOneEntryEvenWhenItAloneExceedsTheLimit() {
        EntryCache cache = new EntryCache(1 << 20);
        cache.append(entries(1, 10));
        assertThat(cache.get(4, 10, 0)).containsExactly(entry(4));
        assertThat(cache.get(4, 10, entry(4).sizeBytes() - 1)).containsExactly(entry(4));
    }

    @Test
    void aReadNeverExceedsTheByteLimitOtherwiseAndStopsOnlyWhenTheNextEntryWouldNotFit() {
        EntryCache cache = new EntryCache(1 << 20);
        cache.append(entries(1, 40));
        for (long from = 1; from <= 40; from++) {
            for (long maxBytes = 0; maxBytes <= 600; maxBytes += 7) {
                List<Entry> got = cache.get(from, 40, maxBytes);
                long total = got.stream().mapToLong(Entry::sizeBytes).sum();
                assertThat(got).isEqualTo(entries(from, from + got.size() - 1));
                assertThat(got).isNotEmpty();
                if (got.size() > 1) {
                    assertThat(total).isLessThanOrEqualTo(maxBytes);
                }
                long next = from + got.size();
                if (next <= 40) {
                    assertThat(total + entry(next).sizeBytes()).as("the next entry would not have fit")
                            .isGreaterThan(maxBytes);
                }
            }
        }
    }

    @Test
    void aReadStopsAtTheRequestedEnd() {
        EntryCache cache = new EntryCache(1 << 20);
        cache.append(entries(1, 10));
        assertThat(cache.get(3, 5, Long.MAX_VALUE)).isEqualTo(entries(3, 5));
        assertThat(cache.get(3, 99, Long.MAX_VALUE)).isEqualTo(entries(3, 10));
    }

    @Test
    void theCacheKeepsTheNewestEntriesWithinItsBudget() {
        EntryCache cache = new EntryCache(200);
        cache.append(entries(1, 30));
        long first = cache.firstIndex();
        long held = entries(first, 30).stream().mapToLong(Entry::sizeBytes).sum();
        assertThat(held).isLessThanOrEqualTo(200);
        assertThat(held + entry(first - 1).sizeBytes()).as("one more entry would exceed the budget")
                .isGreaterThan(200);
        assertThat(cache.get(first, 30, Long.MAX_VALUE)).isEqualTo(entries(first, 30));
    }

    @Test
    void theLastEntryStaysCachedEvenWhenItAloneExceedsTheBudget() {
        EntryCache cache = new EntryCache(10);
        cache.append(entries(1, 5));
        assertThat(cache.firstIndex()).isEqualTo(5);
        assertThat(cache.get(5, 5, Long.MAX_VALUE)).containsExactly(entry(5));
    }

    @Test
    void truncationDropsTheSuffixAndTheRangeContinuesFromThere() {
        EntryCache cache = new EntryCache(1 << 20);
        cache.append(entries(1, 10));
        cache.truncateFrom(7);
        Entry replacement = Entry.command(7, 2, new byte[3]);
        cache.append(List.of(replacement));
        List<Entry> expected = new ArrayList<>(entries(1, 6));
        expected.add(replacement);
        assertThat(cache.get(1, 10, Long.MAX_VALUE)).isEqualTo(expected);

        cache.truncateFrom(1);
        assertThat(cache.firstIndex()).isEqualTo(-1);
    }

    @Test
    void prefixRemovalDropsTheOldestEntries() {
        EntryCache cache = new EntryCache(1 << 20);
        cache.append(entries(1, 10));
        cache.removeThrough(4);
        assertThat(cache.firstIndex()).isEqualTo(5);
        assertThat(cache.get(5, 10, Long.MAX_VALUE)).isEqualTo(entries(5, 10));
        cache.removeThrough(10);
        assertThat(cache.firstIndex()).isEqualTo(-1);
    }

    @Test
    void anAppendThatDoesNotContinueTheRangeStartsAFreshOne() {
        EntryCache cache = new EntryCache(1 << 20);
        cache.append(entries(1, 10));
        cache.append(entries(20, 22));
        assertThat(cache.firstIndex()).isEqualTo(20);
        assertThat(cache.get(20, 22, Long.MAX_VALUE)).isEqualTo(entries(20, 22));
    }

    @Test
    void theRingGrowsWithItsRangeWrappedAround() {
        EntryCache cache = new EntryCache(Long.MAX_VALUE);
        cache.append(entries(1, 1000));
        // Move the head of the ring forward, then fill past its initial capacity of 1024 slots.
        cache.removeThrough(700);
        cache.append(entries(1001, 3000));
        assertThat(cache.firstIndex()).isEqualTo(701);
        assertThat(cache.get(701, 3000, Long.MAX_VALUE)).isEqualTo(entries(701, 3000));
    }
}
