package io.raftkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.core.Entry;
import io.raftkv.storage.Scratch;
import io.raftkv.storage.SeededModelCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link SegmentedLog} holds exactly what a simple in-memory model says, after every step of random
 * sequences of appends (starting anywhere in the log, so suffixes get replaced), truncations, prefix removals,
 * resets, syncs, and closes followed by a reopen, with and without a sync first (the OS page cache keeps
 * unsynced bytes across a close, so nothing may be lost there either).
 *
 * <p>After every step it compares the first and last index, the term of every index (and just outside the held
 * range), every suffix of the log, reads under byte limits, and the segment files on disk. Segments of 600 bytes
 * and a 2000-byte cache make rolling, reads across segments, cache misses and whole-segment removal happen in
 * almost every sequence.
 *
 * <p>{@link SegmentedLog#removePrefix} removes whole segments only, so the model learns the new first index from
 * the log, and checks that it is allowed: never above the requested index + 1, never lower than before, and
 * maximal (the first remaining segment ends after the requested index unless it is the tail).
 */
class SegmentedLogPropertyTest {

    private static final SegmentedLog.Options OPTIONS = new SegmentedLog.Options(600, 2000);

    sealed interface Action permits Append, TruncateFrom, RemovePrefix, Reset, Sync, Reopen {
    }

    /**
     * Appends entries with these payload sizes, starting at a position ({@code at}, mapped onto
     * {@code firstIndex..lastIndex + 1}); terms start at the preceding entry's term plus the first step and
     * never decrease.
     */
    record Append(int at, List<Integer> payloadSizes, List<Integer> termSteps, long payloadSeed) implements Action {
    }

    /** Truncates from a position mapped onto {@code firstIndex..lastIndex + 1}. */
    record TruncateFrom(int at) implements Action {
    }

    /** Removes the prefix up to a position mapped onto {@code firstIndex - 1..lastIndex}. */
    record RemovePrefix(int at) implements Action {
    }

    /** Resets the log to start at {@code lastIndex + 1 + offset} (at least 1). */
    record Reset(int offset) implements Action {
    }

    record Sync() implements Action {
    }

    /** Closes the log and opens it again. */
    record Reopen(boolean syncFirst) implements Action {
    }

    @Test
    void randomSequencesOfOperationsKeepTheLogEqualToTheModel() {
        SeededModelCheck.check(getClass(), 400, SegmentedLogPropertyTest::actions, SegmentedLogPropertyTest::run);
    }

    static List<Action> actions(Random r) {
        int n = 10 + r.nextInt(50);
        List<Action> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(100);
            if (k < 45) {
                out.add(randomAppend(r));
            } else if (k < 57) {
                out.add(new TruncateFrom(r.nextInt(1 << 20)));
            } else if (k < 70) {
                out.add(new RemovePrefix(r.nextInt(1 << 20)));
            } else if (k < 74) {
                out.add(new Reset(r.nextInt(26) - 5));
            } else if (k < 84) {
                out.add(new Sync());
            } else {
                out.add(new Reopen(r.nextBoolean()));
            }
        }
        return out;
    }

    static Append randomAppend(Random r) {
        int count = 1 + r.nextInt(r.nextInt(5) == 0 ? 12 : 4);
        List<Integer> sizes = new ArrayList<>(count);
        List<Integer> steps = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            sizes.add(r.nextInt(8) == 0 ? 0 : r.nextInt(301));
            steps.add(i == 0 ? r.nextInt(3) : (r.nextInt(5) == 0 ? 1 : 0));
        }
        return new Append(r.nextInt(1 << 20), sizes, steps, r.nextLong());
    }

    private static void run(List<Action> actions) throws IOException {
        Path dir = Scratch.directory("seglog-prop");
        SegmentedLog log = SegmentedLog.open(dir, OPTIONS, 1);
        try {
            Model model = new Model(1);
            check(log, model, dir, "after open");
            for (int step = 0; step < actions.size(); step++) {
                Action a = actions.get(step);
                log = apply(a, log, model, dir);
                check(log, model, dir, "after step " + step + " " + a);
            }
        } finally {
            log.close();
            Scratch.deleteTree(dir);
        }
    }

    private static SegmentedLog apply(Action action, SegmentedLog log, Model model, Path dir) throws IOException {
        long first = model.first;
        long last = model.last();
        if (action instanceof Append a) {
            long start = first + Math.floorMod(a.at(), last - first + 2);
            List<Entry> batch = model.batch(start, a);
            log.append(batch);
            model.entries.tailMap(start).clear();
            batch.forEach(e -> model.entries.put(e.index(), e));
        } else if (action instanceof TruncateFrom t) {
            long index = first + Math.floorMod(t.at(), last - first + 2);
            log.truncateFrom(index);
            model.entries.tailMap(index).clear();
        } else if (action instanceof RemovePrefix p) {
            long upTo = first - 1 + Math.floorMod(p.at(), last - first + 2);
            log.removePrefix(upTo);
            long newFirst = log.firstIndex();
            String ctx = "removePrefix(" + upTo + ") on " + first + ".." + last;
            assertThat(newFirst).as(ctx + ": first index never moves back").isGreaterThanOrEqualTo(first);
            assertThat(newFirst).as(ctx + ": only entries at or before the index may go")
                    .isLessThanOrEqualTo(Math.max(first, upTo + 1));
            List<Long> segments = segmentFirstIndices(dir);
            if (segments.size() > 1) {
                assertThat(segments.get(1) - 1).as(ctx + ": every segment wholly at or before the index goes")
                        .isGreaterThan(upTo);
            }
            model.first = newFirst;
            model.entries.headMap(newFirst).clear();
        } else if (action instanceof Reset r) {
            long next = Math.max(1, last + 1 + r.offset());
            log.reset(next);
            model.first = next;
            model.entries.clear();
        } else if (action instanceof Sync) {
            log.sync();
        } else if (action instanceof Reopen r) {
            if (r.syncFirst()) {
                log.sync();
            }
            log.close();
            return SegmentedLog.open(dir, OPTIONS, 1);
        }
        return log;
    }

    private static void check(SegmentedLog log, Model model, Path dir, String ctx) throws IOException {
        long first = model.first;
        long last = model.last();
        assertThat(log.firstIndex()).as(ctx + ": firstIndex").isEqualTo(first);
        assertThat(log.lastIndex()).as(ctx + ": lastIndex").isEqualTo(last);
        for (long i = first - 2; i <= last + 2; i++) {
            assertThat(log.term(i)).as(ctx + ": term(" + i + ")").isEqualTo(model.termAt(i));
        }
        for (long i = first; i <= last; i++) {
            assertThat(log.entries(i, last, Long.MAX_VALUE)).as(ctx + ": entries(" + i + ".." + last + ")")
                    .isEqualTo(model.range(i, last));
            // Varied byte limits and end points (some past the end), including limits below one entry's size.
            long to = i + (i * 7) % 12;
            long maxBytes = (i * 131) % 1200;
            assertThat(log.entries(i, to, maxBytes)).as(ctx + ": entries(" + i + ".." + to + ", " + maxBytes + "B)")
                    .isEqualTo(model.limited(i, to, maxBytes));
        }
        long before = first - 1;
        assertThatThrownBy(() -> log.entries(before, last, Long.MAX_VALUE)).as(ctx + ": entries before the log")
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> log.entries(last + 1, last + 5, Long.MAX_VALUE)).as(ctx + ": entries after the log")
                .isInstanceOf(IndexOutOfBoundsException.class);
        List<Long> segments = segmentFirstIndices(dir);
        assertThat(segments).as(ctx + ": segment files").hasSize(log.segmentCount());
        assertThat(segments.get(0)).as(ctx + ": first segment file").isEqualTo(first);
    }

    /** First indices of the segment files in {@code dir}, sorted; fails on any other file. */
    static List<Long> segmentFirstIndices(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(names).as("files in the log directory").allMatch(n -> n.matches("\\d{20}\\.seg"));
            return names.stream().map(n -> Long.parseLong(n.substring(0, 20))).toList();
        }
    }

    /** What the log must hold: entries by index, and the first index (which may exceed every held entry). */
    static final class Model {
        long first;
        final TreeMap<Long, Entry> entries = new TreeMap<>();

        Model(long first) {
            this.first = first;
        }

        long last() {
            return entries.isEmpty() ? first - 1 : entries.lastKey();
        }

        long termAt(long index) {
            Entry e = entries.get(index);
            return e == null ? -1 : e.term();
        }

        List<Entry> range(long from, long to) {
            return new ArrayList<>(entries.subMap(from, true, to, true).values());
        }

        /** The LogStorage contract: a prefix within {@code maxBytes} of {@link Entry#sizeBytes()}, at least one. */
        List<Entry> limited(long from, long to, long maxBytes) {
            List<Entry> out = new ArrayList<>();
            long total = 0;
            for (Entry e : range(from, to)) {
                if (!out.isEmpty() && total + e.sizeBytes() > maxBytes) {
                    break;
                }
                total += e.sizeBytes();
                out.add(e);
            }
            return out;
        }

        /** The entries an {@link Append} writes at {@code start}. */
        List<Entry> batch(long start, Append a) {
            Random payload = new Random(a.payloadSeed());
            long term = Math.max(1, termAt(start - 1));
            List<Entry> batch = new ArrayList<>();
            for (int k = 0; k < a.payloadSizes().size(); k++) {
                term += a.termSteps().get(k);
                int size = a.payloadSizes().get(k);
                if (size == 0 && payload.nextBoolean()) {
                    batch.add(Entry.noop(start + k, term));
                } else {
                    byte[] data = new byte[size];
                    payload.nextBytes(data);
                    batch.add(Entry.command(start + k, term, data));
                }
            }
            return batch;
        }
    }
}
