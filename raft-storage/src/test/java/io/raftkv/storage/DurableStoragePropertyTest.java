package io.raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.storage.log.SegmentedLog;
import io.raftkv.storage.snapshot.StoredSnapshot;
import io.raftkv.storage.snapshot.SnapshotWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link DurableStorage} serves exactly what an in-memory model of a Raft log with snapshots says,
 * after every step of random sequences of appends (starting anywhere after the snapshot, so suffixes get
 * replaced), snapshots taken of the node's own state ({@code beginSnapshot(...).publish()} then
 * {@code compactTo(meta, keep)}), snapshots installed from a leader ({@code installSnapshot}: the suffix after
 * the snapshot stays if the log holds the snapshot's last entry with its term, otherwise the log is discarded),
 * hard-state writes, syncs, and closes followed by a reopen with and without a sync first.
 *
 * <p>After every step it compares, as the core sees them through {@link io.raftkv.core.log.LogStorage}: the first
 * and last index, the term at the snapshot index and at every held index, every suffix of the log, reads under
 * byte limits, the refusal of indexes outside the log, the snapshot, its data, the membership and the hard
 * state. Some appended entries are configuration entries: the membership must always be that of the latest one
 * after the snapshot, or the snapshot's (the bootstrap membership without one), across truncations,
 * compactions, installs and reopens. Reopening runs recovery's reconciliation of the log with the latest snapshot every time.
 */
class DurableStoragePropertyTest {

    private static final String CLUSTER = "prop";
    private static final NodeId NODE = NodeId.of("n1");
    private static final Configuration BOOTSTRAP = Configuration.ofVoters("n1", "n2", "n3");
    private static final Configuration WITH_LEARNER = new Configuration(BOOTSTRAP.voters(), Set.of(NodeId.of("n4")));
    private static final DurableStorage.Options OPTIONS =
            new DurableStorage.Options(new SegmentedLog.Options(600, 2000));

    sealed interface Action permits Append, TakeSnapshot, InstallSnapshot, WriteHardState, Sync, Reopen {
    }

    /** Appends entries at a position ({@code at}) mapped onto {@code firstIndex..lastIndex + 1}. */
    record Append(int at, List<Integer> payloadSizes, List<Integer> termSteps, long payloadSeed) implements Action {
    }

    /**
     * Snapshots the node's own state at a held index (mapped from {@code at}), keeping {@code keep} entries
     * before it in the log for lagging followers.
     */
    record TakeSnapshot(int at, int keep, int dataBytes) implements Action {
    }

    /**
     * Installs a leader's snapshot at an index mapped from {@code at} onto {@code snapshotIndex + 1..lastIndex
     * + 3}: with the term the log holds there ({@code sameTerm}) or a different one.
     */
    record InstallSnapshot(int at, boolean sameTerm, int dataBytes) implements Action {
    }

    record WriteHardState(int termStep, boolean vote) implements Action {
    }

    record Sync() implements Action {
    }

    record Reopen(boolean syncFirst) implements Action {
    }

    @Test
    void randomSequencesOfOperationsKeepTheStorageEqualToTheModel() {
        SeededModelCheck.check(getClass(), 400, DurableStoragePropertyTest::actions, DurableStoragePropertyTest::run);
    }

    static List<Action> actions(Random r) {
        int n = 10 + r.nextInt(45);
        List<Action> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(100);
            if (k < 50) {
                int count = 1 + r.nextInt(r.nextInt(5) == 0 ? 12 : 4);
                List<Integer> sizes = new ArrayList<>(count);
                List<Integer> steps = new ArrayList<>(count);
                for (int j = 0; j < count; j++) {
                    sizes.add(r.nextInt(8) == 0 ? 0 : r.nextInt(301));
                    steps.add(j == 0 ? r.nextInt(3) : (r.nextInt(5) == 0 ? 1 : 0));
                }
                out.add(new Append(r.nextInt(1 << 20), sizes, steps, r.nextLong()));
            } else if (k < 60) {
                out.add(new TakeSnapshot(r.nextInt(1 << 20), r.nextInt(4) == 0 ? 0 : r.nextInt(12), r.nextInt(200)));
            } else if (k < 68) {
                out.add(new InstallSnapshot(r.nextInt(1 << 20), r.nextBoolean(), r.nextInt(200)));
            } else if (k < 74) {
                out.add(new WriteHardState(r.nextInt(3), r.nextBoolean()));
            } else if (k < 84) {
                out.add(new Sync());
            } else {
                out.add(new Reopen(r.nextBoolean()));
            }
        }
        return out;
    }

    private static DurableStorage open(Path root) throws IOException {
        return DurableStorage.open(root, CLUSTER, NODE, BOOTSTRAP, OPTIONS);
    }

    private static void run(List<Action> actions) throws IOException {
        Path root = Scratch.directory("storage-prop");
        DurableStorage storage = open(root);
        try {
            Model model = new Model();
            check(storage, model, "after open");
            for (int step = 0; step < actions.size(); step++) {
                Action a = actions.get(step);
                storage = apply(a, storage, model, root);
                check(storage, model, "after step " + step + " " + a);
            }
        } finally {
            storage.close();
            Scratch.deleteTree(root);
        }
    }

    private static DurableStorage apply(Action action, DurableStorage storage, Model model, Path root)
            throws IOException {
        long snap = model.snapIndex;
        long last = model.last();
        if (action instanceof Append a) {
            long start = snap + 1 + Math.floorMod(a.at(), last - snap + 1);
            List<Entry> batch = model.batch(start, a);
            storage.append(batch);
            model.entries.tailMap(start).clear();
            batch.forEach(e -> model.entries.put(e.index(), e));
        } else if (action instanceof TakeSnapshot t) {
            if (last > snap) {
                long index = snap + 1 + Math.floorMod(t.at(), last - snap);
                long term = model.termAt(index);
                Configuration config = index % 2 == 0 ? BOOTSTRAP : WITH_LEARNER;
                byte[] data = data(index, t.dataBytes());
                StoredSnapshot meta = publish(storage, index, term, config, data);
                storage.compactTo(meta, t.keep());
                model.snapshot(index, term, config, data);
                // The margin stays servable (as far as whole segments allow; check() reads where it starts).
                model.marginStart = Math.max(model.marginStart, index + 1 - t.keep());
                model.entries.headMap(model.marginStart - 1, true).clear();
            }
        } else if (action instanceof InstallSnapshot s) {
            long index = snap + 1 + Math.floorMod(s.at(), last - snap + 3);
            boolean held = index <= last;
            long term;
            if (held) {
                term = model.termAt(index) + (s.sameTerm() ? 0 : 1);
            } else {
                term = Math.max(1, model.termAt(last)) + (s.sameTerm() ? 0 : 1);
            }
            Configuration config = index % 2 == 0 ? WITH_LEARNER : BOOTSTRAP;
            byte[] data = data(index, s.dataBytes());
            StoredSnapshot meta = publish(storage, index, term, config, data);
            storage.installSnapshot(meta);
            model.marginStart = index + 1;
            if (held && s.sameTerm()) {
                model.entries.headMap(index, true).clear();
            } else {
                model.entries.clear();
            }
            model.snapshot(index, term, config, data);
        } else if (action instanceof WriteHardState h) {
            HardState next = new HardState(model.hardState.term() + h.termStep(), h.vote() ? NodeId.of("n2") : null);
            storage.writeHardState(next);
            model.hardState = next;
        } else if (action instanceof Sync) {
            storage.sync();
        } else if (action instanceof Reopen r) {
            if (r.syncFirst()) {
                storage.sync();
            }
            storage.close();
            model.marginStart = model.snapIndex + 1; // a reopened storage serves from just after its snapshot
            model.entries.headMap(model.snapIndex, true).clear();
            return open(root);
        }
        return storage;
    }

    private static StoredSnapshot publish(DurableStorage storage, long index, long term, Configuration config,
                                        byte[] data) throws IOException {
        try (SnapshotWriter writer = storage.beginSnapshot(index, term, config)) {
            try (OutputStream out = writer.data()) {
                out.write(data);
            }
            return writer.publish();
        }
    }

    private static byte[] data(long index, int size) {
        byte[] data = new byte[size];
        new Random(index).nextBytes(data);
        return data;
    }

    private static void check(DurableStorage storage, Model model, String ctx) throws IOException {
        long snap = model.snapIndex;
        long first = storage.firstIndex();
        long last = model.last();
        // Compaction keeps a margin of entries before the snapshot, as far as whole segments allow.
        assertThat(first).as(ctx + ": firstIndex").isBetween(model.marginStart, snap + 1);
        assertThat(storage.lastIndex()).as(ctx + ": lastIndex").isEqualTo(last);
        assertThat(storage.term(snap)).as(ctx + ": term at the snapshot index " + snap).isEqualTo(model.snapTerm);
        for (long i = first; i <= last; i++) {
            assertThat(storage.term(i)).as(ctx + ": term(" + i + ")").isEqualTo(model.termAt(i));
        }
        if (first >= 2) {
            assertThatThrownBy(() -> storage.term(first - 2)).as(ctx + ": term before the log")
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
        assertThatThrownBy(() -> storage.term(last + 1)).as(ctx + ": term after the log")
                .isInstanceOf(IndexOutOfBoundsException.class);
        for (long i = first; i <= last; i++) {
            assertThat(storage.entries(i, last, Long.MAX_VALUE)).as(ctx + ": entries(" + i + ".." + last + ")")
                    .isEqualTo(model.range(i, last));
            long to = i + (i * 7) % 12;
            long maxBytes = (i * 131) % 1200;
            assertThat(storage.entries(i, to, maxBytes)).as(ctx + ": entries(" + i + ".." + to + ", " + maxBytes
                    + "B)").isEqualTo(model.limited(i, to, maxBytes));
        }
        assertThatThrownBy(() -> storage.entries(first - 1, last, Long.MAX_VALUE)).as(ctx + ": entries before the log")
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> storage.entries(last + 1, last + 3, Long.MAX_VALUE)).as(ctx + ": entries after")
                .isInstanceOf(IndexOutOfBoundsException.class);
        Optional<StoredSnapshot> meta = storage.latestSnapshot();
        List<Entry> configEntries = model.entries.tailMap(snap, false).values().stream()
                .filter(e -> e.type() == io.raftkv.core.EntryType.CONFIGURATION).toList();
        assertThat(storage.configurationEntries()).as(ctx + ": configuration entries").isEqualTo(configEntries);
        Configuration base = model.snapData == null ? BOOTSTRAP : model.snapConfig;
        assertThat(storage.configuration()).as(ctx + ": membership").isEqualTo(configEntries.isEmpty() ? base
                : configEntries.get(configEntries.size() - 1).configuration());
        if (model.snapData == null) {
            assertThat(meta).as(ctx + ": snapshot").isEmpty();
        } else {
            assertThat(meta).as(ctx + ": snapshot").isPresent();
            assertThat(meta.get().index()).as(ctx + ": snapshot index").isEqualTo(snap);
            assertThat(meta.get().term()).as(ctx + ": snapshot term").isEqualTo(model.snapTerm);
            assertThat(Files.readAllBytes(storage.snapshots().dataFile(meta.get()))).as(ctx + ": snapshot data")
                    .isEqualTo(model.snapData);
            assertThat(storage.snapshot().configuration()).as(ctx + ": snapshot membership")
                    .isEqualTo(model.snapConfig);
        }
        assertThat(storage.hardState()).as(ctx + ": hard state").isEqualTo(model.hardState);
    }

    /** The storage as the core must see it: a snapshot (index 0, term 0 when none) and the entries after it. */
    static final class Model {
        long snapIndex;
        long snapTerm;
        Configuration snapConfig;
        byte[] snapData;
        HardState hardState = HardState.INITIAL;
        final TreeMap<Long, Entry> entries = new TreeMap<>();
        /** The first entry of the margin kept before the snapshot by compaction. */
        long marginStart = 1;

        long last() {
            return entries.isEmpty() ? snapIndex : Math.max(snapIndex, entries.lastKey());
        }

        long termAt(long index) {
            if (index == snapIndex) {
                return snapTerm;
            }
            return entries.get(index).term();
        }

        void snapshot(long index, long term, Configuration config, byte[] data) {
            snapIndex = index;
            snapTerm = term;
            snapConfig = config;
            snapData = data;
        }

        List<Entry> range(long from, long to) {
            return new ArrayList<>(entries.subMap(from, true, to, true).values());
        }

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

        List<Entry> batch(long start, Append a) {
            Random payload = new Random(a.payloadSeed());
            long term = Math.max(1, start - 1 == 0 ? 1 : termAt(start - 1));
            List<Entry> batch = new ArrayList<>();
            for (int k = 0; k < a.payloadSizes().size(); k++) {
                term += a.termSteps().get(k);
                int size = a.payloadSizes().get(k);
                if (size == 0 && payload.nextBoolean()) {
                    batch.add(Entry.noop(start + k, term));
                } else if (size % 5 == 1) {
                    // A membership change: one learner more, named after the entry so each one differs.
                    Configuration c = new Configuration(BOOTSTRAP.voters(), Set.of(NodeId.of("l" + (start + k))));
                    batch.add(Entry.configuration(start + k, term, c));
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
