package io.raftkv.testkit.sim;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.core.Ready;
import io.raftkv.core.log.LogStorage;
import io.raftkv.storage.DurableStorage;
import io.raftkv.storage.log.SegmentedLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A disk that is the production {@link DurableStorage} in a directory of its own, with tiny segments so that
 * rolling, multi-segment truncation and recovery all run. A crash during a sync keeps the hard state or not,
 * appends a prefix of the entries without syncing and may tear the last record in the segment file; the
 * restart then runs the real recovery, which must cut the torn record and find exactly what was durable.
 */
final class RealDisk implements SimDisk {

    private static final SegmentedLog.Options LOG_OPTIONS = new SegmentedLog.Options(4096, 16 * 1024);

    private final Path dir;
    private final NodeId id;
    private final Configuration membership;
    private DurableStorage storage;

    RealDisk(Path dir, NodeId id, Configuration membership) {
        this.dir = dir;
        this.id = id;
        this.membership = membership;
        open();
    }

    private void open() {
        try {
            storage = DurableStorage.open(dir, "sim", id, membership, new DurableStorage.Options(LOG_OPTIONS));
        } catch (IOException e) {
            throw new UncheckedIOException("opening the storage of " + id + " in " + dir, e);
        }
    }

    @Override
    public LogStorage storage() {
        return storage;
    }

    @Override
    public void writeHardState(HardState state) {
        try {
            storage.writeHardState(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void writeEntries(long first, List<Entry> entries) {
        try {
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("nothing to write");
            }
            storage.append(entries);
            storage.sync();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void crash(Ready syncing, SplittableRandom random, DurableWriteListener checker) {
        try {
            if (syncing != null) {
                if (syncing.hardState() != null && random.nextBoolean()) {
                    storage.writeHardState(syncing.hardState());
                }
                List<Entry> entries = syncing.entries();
                if (!entries.isEmpty() && random.nextInt(4) != 0) {
                    int kept = 1 + random.nextInt(entries.size());
                    boolean tear = random.nextBoolean();
                    long first = entries.get(0).index();
                    // What recovery will find: the kept prefix, less the last record if it gets torn.
                    checker.onDurableWrite(storage, first, entries.subList(0, tear ? kept - 1 : kept));
                    storage.append(entries.subList(0, kept)); // the truncation inside is synced; the rest is not
                    if (tear) {
                        tearLastRecord(random, entries.get(kept - 1));
                    }
                }
            }
            storage.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cuts the newest segment file somewhere inside its last record, as a crash mid-write would. */
    private void tearLastRecord(SplittableRandom random, Entry last) throws IOException {
        Path tail;
        try (Stream<Path> files = Files.list(dir.resolve("log"))) {
            tail = files.filter(p -> p.toString().endsWith(".seg")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        long recordBytes = 25L + last.data().length;
        try (FileChannel ch = FileChannel.open(tail, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1 - random.nextLong(recordBytes - 1));
        }
    }

    @Override
    public void restart() {
        open();
    }

    /** Closes the storage at the end of a run. */
    void close() {
        try {
            storage.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
