package io.raftkv.testkit.sim;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.Ready;
import io.raftkv.core.log.LogStorage;
import io.raftkv.core.log.MemoryLogStorage;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A disk held in memory. A crash during a sync keeps the hard state or not, and a prefix of the entries
 * (possibly none, possibly after the truncation that preceded them): a torn write. With
 * {@link RuntimeShortcut#VOTE_NOT_SYNCED} a crash also reverts the latest hard state.
 */
final class MemoryDisk implements SimDisk {

    private final MemoryLogStorage storage;
    private final boolean voteNotSynced;
    private HardState previousHardState = HardState.INITIAL;
    private SimSnapshot snapshot;

    MemoryDisk(Configuration membership, boolean voteNotSynced) {
        this.storage = new MemoryLogStorage(membership);
        this.voteNotSynced = voteNotSynced;
    }

    @Override
    public LogStorage storage() {
        return storage;
    }

    @Override
    public void writeHardState(HardState state) {
        previousHardState = storage.hardState();
        storage.setHardState(state);
    }

    @Override
    public void writeEntries(long first, List<Entry> entries) {
        storage.truncateFrom(first);
        storage.append(entries);
    }

    @Override
    public void crash(Ready syncing, SplittableRandom random, DurableWriteListener checker) {
        if (syncing != null) {
            if (syncing.hardState() != null && random.nextBoolean()) {
                writeHardState(syncing.hardState());
            }
            List<Entry> entries = syncing.entries();
            if (!entries.isEmpty()) {
                int kept = random.nextInt(entries.size() + 1);
                if (kept > 0 || random.nextBoolean()) {
                    long first = entries.get(0).index();
                    checker.onDurableWrite(storage, first, entries.subList(0, kept));
                    writeEntries(first, entries.subList(0, kept));
                }
            }
        }
        if (voteNotSynced) {
            storage.setHardState(previousHardState);
        }
    }

    @Override
    public boolean keepsSnapshots() {
        return true;
    }

    @Override
    public SimSnapshot latestSnapshot() {
        return snapshot;
    }

    @Override
    public void takeSnapshot(SimSnapshot snapshot, long keepEntries) {
        storage.compact(snapshot.meta(), keepEntries);
        this.snapshot = snapshot;
    }

    @Override
    public void installSnapshot(SimSnapshot snapshot) {
        storage.applySnapshot(snapshot.meta());
        this.snapshot = snapshot;
    }

    @Override
    public void restart() {
        // Nothing volatile to lose beyond what crash() already dropped.
    }
}
