package io.raftkv.storage.log;

import io.raftkv.core.Entry;
import io.raftkv.storage.StorageCorruptionException;
import io.raftkv.storage.FileSync;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log: consecutive entries in segment files of bounded size, each record framed with its
 * length, CRC32C, index and term. An in-memory index gives every entry's position and term; a bounded cache
 * serves recent entries from memory.
 *
 * <p>Writes ({@link #append}, {@link #truncateFrom}) are not durable until {@link #sync()}, which makes
 * everything written since the previous sync durable with as few fsyncs as possible (group commit: callers
 * batch appends and sync once). Every operation is crash-safe: at any moment the files hold a prefix of some
 * state the log passed through, plus at most a torn final record, which {@link #open} cuts off.
 *
 * <p>With {@link Options#preallocate()}, a background thread prepares the next segment file (zeros, synced) so
 * that the writer's appends overwrite allocated blocks rather than grow a file (see {@link Segment}), as long
 * as the log is written in small syncs (up to 64 KiB each on average): for large ones the zeros would cost
 * more disk time than the cheaper fsyncs save.
 *
 * <p>Not thread-safe; one writer owns it.
 */
public final class SegmentedLog implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentedLog.class);

    /**
     * Settings of a log.
     *
     * @param maxSegmentBytes size at which the log rolls to a new segment
     * @param cacheBytes      recent entries kept in memory
     * @param preallocate     whether the next segment is prepared in the background, filled with zeros to
     *                        {@code maxSegmentBytes} and synced, so that appends do not grow the file (see
     *                        {@link Segment}: a cheaper fsync per append)
     */
    public record Options(long maxSegmentBytes, long cacheBytes, boolean preallocate) {
        /** Without preallocation. */
        public Options(long maxSegmentBytes, long cacheBytes) {
            this(maxSegmentBytes, cacheBytes, false);
        }

        /** 64 MiB segments, preallocated; 32 MiB of cached entries. */
        public static Options defaults() {
            return new Options(64L << 20, 32L << 20, true);
        }
    }

    /** The zero-filled file the next segment is made from (a {@code .tmp}, so recovery removes a leftover one). */
    static final String SPARE = "preallocated" + Segment.SUFFIX + ".tmp";

    private final Path dir;
    private final Options options;
    private final List<Segment> segments;
    private final EntryCache cache;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    /** Segments written since the last sync. */
    private final List<Segment> unsynced = new ArrayList<>();
    /** Files were created or deleted since the last sync. */
    private boolean directoryChanged;
    /** Prepares the spare segment file off the writer's thread; null without preallocation. */
    private final ExecutorService preallocator;
    /** The spare being prepared or ready, or null. */
    private Future<Path> spare;
    /** Syncs that made appends to the tail segment durable since it was created or opened. */
    private long tailSyncs;
    /**
     * Where a zero-filled spare stops paying for itself: writing it costs about as much disk time as the
     * fsyncs it makes cheaper save once each sync carries this much (see {@link #roll}).
     */
    static final long PREALLOCATE_MAX_BYTES_PER_SYNC = 64 << 10;

    private SegmentedLog(Path dir, Options options, List<Segment> segments) {
        this.dir = dir;
        this.options = options;
        this.segments = segments;
        this.cache = new EntryCache(options.cacheBytes());
        this.preallocator = options.preallocate() ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raft-log-preallocate");
            t.setDaemon(true);
            return t;
        }) : null;
        prepareSpare();
    }

    /**
     * Opens the log in {@code dir}, creating it (empty, next index {@code firstIndexIfNew}) if the directory has
     * no segment. Recovery verifies every record; see {@link Segment#open} for what is cut and what is refused.
     * Segments must be consecutive: a missing segment is refused. Nothing is changed on disk unless the whole
     * log is sound: only then are a torn final write cut off and unfinished segment files removed.
     */
    public static SegmentedLog open(Path dir, Options options, long firstIndexIfNew) throws IOException {
        Files.createDirectories(dir);
        List<Long> firstIndices = new ArrayList<>();
        List<Path> unfinished = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.equals(SPARE)) {
                    Files.delete(f); // made again in the background; never part of the log
                } else if (name.endsWith(Segment.SUFFIX + ".tmp")) {
                    unfinished.add(f);
                } else if (name.matches("\\d{20}\\" + Segment.SUFFIX)) {
                    firstIndices.add(Long.parseLong(name.substring(0, 20)));
                } else {
                    throw new StorageCorruptionException(f, -1, "unexpected file in the log directory",
                            "Only raftkv segment files belong here; move the file elsewhere if it was put here "
                                    + "by mistake");
                }
            }
        }
        firstIndices.sort(null);
        List<Segment> segments = new ArrayList<>();
        try {
            for (int i = 0; i < firstIndices.size(); i++) {
                boolean tail = i == firstIndices.size() - 1;
                Path path = dir.resolve(Segment.fileName(firstIndices.get(i)));
                Segment seg = Segment.open(path, firstIndices.get(i), tail);
                if (!segments.isEmpty()) {
                    Segment prev = segments.get(segments.size() - 1);
                    if (seg.firstIndex() != prev.lastIndex() + 1) {
                        seg.close();
                        throw new StorageCorruptionException(path, -1, "the previous segment "
                                + prev.path().getFileName() + " ends at index " + prev.lastIndex()
                                + " but this one starts at " + seg.firstIndex() + " (entries "
                                + (prev.lastIndex() + 1) + ".." + (seg.firstIndex() - 1) + " are missing: was a "
                                + "segment file deleted?)", "Restore the missing segment from a backup, or move "
                                + "the data directory aside and rebuild this node from its peers");
                    }
                }
                segments.add(seg);
            }
            // The log is sound: now (and only now) clean up what a crash left behind.
            if (!segments.isEmpty()) {
                segments.get(segments.size() - 1).cutTornWrite();
            }
            for (Path f : unfinished) {
                // A segment whose creation did not finish holds no entries (only its header was being written).
                LOG.warn("{}: removing an unfinished segment file (no entries were ever written to it)", f);
                Files.delete(f);
            }
            if (!unfinished.isEmpty()) {
                FileSync.directory(dir);
            }
            if (segments.isEmpty()) {
                // A new log: its first segment is preallocated too (a moment's wait at the first start only).
                Path zeroed = dir.resolve(SPARE);
                if (options.preallocate()) {
                    Segment.prepareZeroed(zeroed, options.maxSegmentBytes());
                }
                segments.add(options.preallocate() ? Segment.createFrom(zeroed, dir, firstIndexIfNew)
                        : Segment.create(dir, firstIndexIfNew));
                FileSync.directory(dir);
            }
        } catch (IOException | RuntimeException e) {
            for (Segment s : segments) {
                s.close();
            }
            throw e;
        }
        return new SegmentedLog(dir, options, segments);
    }

    /** The first index held (or the next index to write, if the log is empty). */
    public long firstIndex() {
        return segments.get(0).firstIndex();
    }

    /** The last index held, or {@code firstIndex() - 1} if empty. */
    public long lastIndex() {
        return tail().lastIndex();
    }

    /**
     * Indices of the configuration entries held after {@code afterIndex}, ascending. Known from the in-memory
     * index (recovery reads every record's type), so no entry is read.
     */
    public List<Long> configurationIndices(long afterIndex) {
        List<Long> out = new ArrayList<>();
        for (Segment s : segments) {
            if (s.lastIndex() > afterIndex) {
                for (long i : s.configurationIndices()) {
                    if (i > afterIndex) {
                        out.add(i);
                    }
                }
            }
        }
        return out;
    }

    /** The term of {@code index}, or -1 if not held. */
    public long term(long index) {
        Segment s = segmentOf(index);
        return s == null ? -1 : s.term(index);
    }

    /**
     * Entries {@code from..min(to, lastIndex())}, within {@code maxBytes} of {@link Entry#sizeBytes()} but at
     * least one.
     *
     * @throws IndexOutOfBoundsException if {@code from} is not held
     */
    public List<Entry> entries(long from, long to, long maxBytes) throws IOException {
        if (from < firstIndex() || from > lastIndex()) {
            throw new IndexOutOfBoundsException("entry " + from + " is not in the log (" + firstIndex() + ".."
                    + lastIndex() + ")");
        }
        long last = Math.min(to, lastIndex());
        if (last < from) {
            // An empty range (to < from), as the in-memory LogStorage answers it.
            return List.of();
        }
        long cachedFrom = cache.firstIndex();
        if (cachedFrom >= 0 && from >= cachedFrom) {
            return cache.get(from, last, maxBytes);
        }
        List<Entry> out = new ArrayList<>();
        long total = 0;
        long i = from;
        while (i <= last) {
            if (cachedFrom >= 0 && i >= cachedFrom) {
                for (Entry e : cache.get(i, last, Long.MAX_VALUE)) {
                    if (total + e.sizeBytes() > maxBytes && !out.isEmpty()) {
                        return out;
                    }
                    total += e.sizeBytes();
                    out.add(e);
                }
                return out;
            }
            Segment s = segmentOf(i);
            long hi = Math.min(last, s.lastIndex());
            if (cachedFrom >= 0) {
                hi = Math.min(hi, cachedFrom - 1);
            }
            // Read a bounded chunk at a time so a large range does not read far past the byte budget.
            long chunkEnd = i;
            long chunkBytes = 0;
            while (chunkEnd < hi && chunkBytes < maxBytes - total) {
                chunkBytes += s.bytes(chunkEnd, chunkEnd);
                chunkEnd++;
            }
            for (Entry e : s.read(i, chunkEnd)) {
                if (total + e.sizeBytes() > maxBytes && !out.isEmpty()) {
                    return out;
                }
                total += e.sizeBytes();
                out.add(e);
            }
            i = chunkEnd + 1;
        }
        return out;
    }

    /**
     * Appends {@code entries}, first removing every entry at or after the first one's index (the suffix they
     * replace). Not durable until {@link #sync()}.
     */
    public void append(List<Entry> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        if (first < firstIndex()) {
            throw new IllegalArgumentException("cannot append at index " + first + ": the log starts at "
                    + firstIndex());
        }
        if (first > lastIndex() + 1) {
            throw new IllegalArgumentException("cannot append at index " + first + ": the log ends at "
                    + lastIndex());
        }
        if (first <= lastIndex()) {
            truncateFrom(first);
        }
        int start = 0;
        while (start < entries.size()) {
            Segment tail = tail();
            if (tail.size() >= options.maxSegmentBytes() && !tail.isEmpty()) {
                tail = roll();
            }
            // Fill the current segment up to its size limit (at least one entry), then roll.
            long room = options.maxSegmentBytes() - tail.size();
            int end = start;
            long bytes = 0;
            while (end < entries.size()) {
                int rb = RecordFormat.recordBytes(entries.get(end));
                if (end > start && bytes + rb > room) {
                    break;
                }
                bytes += rb;
                end++;
            }
            List<Entry> part = entries.subList(start, end);
            ensureBuffer(bytes);
            buffer.clear();
            for (Entry e : part) {
                RecordFormat.write(buffer, e, crc);
            }
            buffer.flip();
            tail.append(buffer, part);
            markUnsynced(tail);
            cache.append(part);
            start = end;
        }
    }

    /**
     * Removes every entry at or after {@code index}, durably. Crash-safe: later segments are deleted newest
     * first and then the segment holding {@code index} is cut, so a crash at any point leaves a prefix of the
     * old log. Costs fsyncs, but happens only when a follower replaces a conflicting suffix.
     */
    public void truncateFrom(long index) throws IOException {
        if (index > lastIndex()) {
            return;
        }
        if (index < firstIndex()) {
            throw new IllegalArgumentException("cannot truncate from " + index + ": the log starts at "
                    + firstIndex());
        }
        cache.truncateFrom(index);
        // Newest first, each deletion made durable before the next step, so no crash can leave a gap.
        while (segments.size() > 1 && tail().firstIndex() >= index) {
            deleteSegment(segments.remove(segments.size() - 1));
        }
        // The cut is synced at once: new records are then written only past the durable end of the file, so
        // a crash can never leave new bytes mixed with intact old records after them.
        tail().truncateFrom(index);
        tail().sync();
    }

    /**
     * Removes whole segments whose entries are all at or before {@code index} (after a snapshot covers them),
     * oldest first, always keeping the tail segment. Entries of a segment that straddles {@code index} stay.
     * Crash-safe: a crash leaves a suffix of the segments, still consecutive.
     */
    public void removePrefix(long index) throws IOException {
        while (segments.size() > 1 && segments.get(0).lastIndex() <= index) {
            deleteSegment(segments.remove(0));
        }
        cache.removeThrough(Math.min(index, firstIndex() - 1));
    }

    /**
     * Discards every entry and starts an empty log whose next index is {@code nextIndex} (a snapshot replaced
     * the whole log). The old segments are deleted newest first, so a crash leaves a prefix of the old log,
     * which the caller recognises as stale against its snapshot (it ends before the snapshot, or disagrees
     * with it at the snapshot's index); a suffix could not be told apart from a log whose beginning was lost.
     * Then the new empty segment is created.
     */
    public void reset(long nextIndex) throws IOException {
        sync();
        cache.clear();
        unsynced.clear();
        while (!segments.isEmpty()) {
            deleteSegment(segments.remove(segments.size() - 1));
        }
        segments.add(newSegment(nextIndex));
        prepareSpare();
        FileSync.directory(dir);
        directoryChanged = false;
    }

    /** Makes every append and truncation since the previous sync durable. */
    public void sync() throws IOException {
        if (!unsynced.isEmpty() && unsynced.contains(tail())) {
            tailSyncs++;
        }
        for (Segment s : unsynced) {
            s.sync();
        }
        unsynced.clear();
        if (directoryChanged) {
            FileSync.directory(dir);
            directoryChanged = false;
        }
    }

    /** Number of segment files. */
    public int segmentCount() {
        return segments.size();
    }

    @Override
    public void close() throws IOException {
        if (preallocator != null) {
            preallocator.shutdownNow();
            try {
                preallocator.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        IOException first = null;
        for (Segment s : segments) {
            try {
                s.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private Segment tail() {
        return segments.get(segments.size() - 1);
    }

    private Segment segmentOf(long index) {
        if (index < firstIndex() || index > lastIndex()) {
            return null;
        }
        int lo = 0;
        int hi = segments.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segments.get(mid).firstIndex() <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return segments.get(lo);
    }

    /**
     * Seals the tail (cut to its records and synced, so only the last segment can ever hold a torn record or
     * free space) and starts a new one: from the spare if it is ready, else an empty file that grows (the
     * writer never waits for a spare).
     */
    private Segment roll() throws IOException {
        Segment old = tail();
        // Preallocation saves a fixed cost per fsync (the file's length) but writes the segment twice: worth it
        // while each sync carries little, a loss once the log is written in large syncs and the disk's bandwidth
        // is what bounds it (1,000 clients writing 64 KiB values: 95 puts/s with a spare per segment, 301 without).
        boolean smallSyncs = tailSyncs == 0
                || (old.size() - Segment.HEADER_BYTES) / tailSyncs <= preallocateMaxBytesPerSync();
        old.seal();
        unsynced.remove(old);
        Segment next = newSegment(old.lastIndex() + 1);
        segments.add(next);
        directoryChanged = true;
        tailSyncs = 0;
        if (smallSyncs) {
            prepareSpare(); // nothing to do if one is still being prepared
        }
        return next;
    }

    /** Average bytes per sync up to which a segment written so is followed by a preallocated one. */
    private long preallocateMaxBytesPerSync() {
        return Math.min(PREALLOCATE_MAX_BYTES_PER_SYNC, options.maxSegmentBytes() / 4);
    }

    /** A new empty segment: from the spare if it is ready and usable, else one that grows as it is written. */
    private Segment newSegment(long firstIndex) throws IOException {
        Path ready = readySpare();
        if (ready != null) {
            try {
                return Segment.createFrom(ready, dir, firstIndex);
            } catch (IOException e) {
                // Someone deleted or damaged the spare: it is only an optimisation, so the log carries on.
                LOG.warn("{}: the preallocated spare could not be used ({}); the new segment grows as it is written",
                        dir, e.toString());
            }
        }
        return Segment.create(dir, firstIndex);
    }

    private void prepareSpare() {
        if (preallocator == null || spare != null) {
            return;
        }
        Path file = dir.resolve(SPARE);
        long bytes = options.maxSegmentBytes();
        spare = preallocator.submit(() -> {
            Segment.prepareZeroed(file, bytes);
            return file;
        });
    }

    /** Waits until the spare is ready (for tests, which must know whether the next roll uses it). */
    boolean awaitSpare(long timeoutMillis) throws Exception {
        Future<Path> f = spare;
        if (f == null) {
            return false;
        }
        f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    /** The spare if it is ready (taking it), else null; a failed preparation is logged and tried again. */
    private Path readySpare() {
        if (spare == null || !spare.isDone()) {
            return null;
        }
        Future<Path> done = spare;
        spare = null;
        try {
            return done.get();
        } catch (ExecutionException e) {
            LOG.warn("{}: preparing a preallocated segment failed; the next segment grows as it is written",
                    dir, e.getCause());
            prepareSpare();
            return null;
        } catch (InterruptedException | CancellationException e) {
            return null;
        }
    }

    /**
     * Like {@link #removePrefix} but leaves deleting the files to the caller, who may do it on another thread:
     * the segments are closed and no longer part of the log, and their paths returned, oldest first. Deleting
     * them in that order keeps what a crash leaves a contiguous log; one left on disk only makes the log start
     * earlier, before the snapshot that covers it.
     */
    public List<Path> detachPrefix(long index) throws IOException {
        List<Path> detached = new ArrayList<>();
        while (segments.size() > 1 && segments.get(0).lastIndex() <= index) {
            Segment s = segments.remove(0);
            s.close();
            unsynced.remove(s);
            detached.add(s.path());
        }
        cache.removeThrough(Math.min(index, firstIndex() - 1));
        return detached;
    }

    /** Deletes segment files {@link #detachPrefix detached} from the log in {@code dir}, oldest first. */
    public static void deleteDetached(Path dir, List<Path> files) throws IOException {
        for (Path p : files) {
            Files.deleteIfExists(p);
            FileSync.directory(dir);
        }
    }

    /** Deletes a segment file durably (the directory is synced before anything else happens). */
    private void deleteSegment(Segment s) throws IOException {
        s.close();
        Files.deleteIfExists(s.path());
        unsynced.remove(s);
        FileSync.directory(dir);
    }

    private void markUnsynced(Segment s) {
        if (!unsynced.contains(s)) {
            unsynced.add(s);
        }
    }

    private void ensureBuffer(long bytes) {
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocate((int) Math.max(bytes, buffer.capacity() * 2L));
        }
    }
}
