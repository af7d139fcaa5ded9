package io.raftkv.storage;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.log.LogStorage;
import io.raftkv.storage.log.SegmentedLog;
import io.raftkv.storage.snapshot.StoredSnapshot;
import io.raftkv.storage.snapshot.SnapshotStore;
import io.raftkv.storage.snapshot.SnapshotWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a Raft node keeps on disk, behind the core's {@link LogStorage}: the data directory's identity,
 * the hard state, the segmented log and the snapshots. Opening it recovers from any crash (cutting a torn
 * final record) and refuses damaged or foreign data.
 *
 * <p>The log seen by the core starts just after the latest snapshot: entries the snapshot covers may still
 * be in the segment files (only whole segments are removed) but are not served.
 *
 * <p>Not thread-safe: one writer (the runtime's log writer) owns it; see {@link GroupCommitLog} for handing
 * writes to it from another thread.
 */
public final class DurableStorage implements RaftStorage {

    private static final Logger LOG = LoggerFactory.getLogger(DurableStorage.class);

    /** Settings. */
    public record Options(SegmentedLog.Options log) {
        public static Options defaults() {
            return new Options(SegmentedLog.Options.defaults());
        }
    }

    private final DataDirectory directory;
    private final HardStateFile hardStateFile;
    private final SegmentedLog log;
    private final SnapshotStore snapshots;
    private HardState hardState;
    /** Volatile: published by the loop thread, read by the apply thread when it decides on a snapshot. */
    private volatile StoredSnapshot snapshot;
    /**
     * The first entry of the margin kept before the snapshot by compaction (never moves back; just after the
     * snapshot after a restart or an installed snapshot).
     */
    private long marginStart;

    private DurableStorage(DataDirectory directory, HardStateFile hardStateFile, SegmentedLog log,
                           SnapshotStore snapshots, HardState hardState, StoredSnapshot snapshot) {
        this.directory = directory;
        this.hardStateFile = hardStateFile;
        this.log = log;
        this.snapshots = snapshots;
        this.hardState = hardState;
        this.snapshot = snapshot;
        this.marginStart = snapshot == null ? 1 : snapshot.index() + 1;
    }

    /**
     * Opens (or, if {@code root} is empty, creates with {@code bootstrapMembership}) the storage of node
     * {@code nodeId} in cluster {@code clusterId}.
     *
     * @throws StorageCorruptionException if anything is damaged or belongs to another cluster or node
     */
    public static DurableStorage open(Path root, String clusterId, NodeId nodeId, Configuration bootstrapMembership,
                                      Options options) throws IOException {
        DataDirectory dir = DataDirectory.open(root, clusterId, nodeId, bootstrapMembership);
        SegmentedLog log = null;
        try {
            HardStateFile hsf = new HardStateFile(root);
            HardState hs = hsf.read();
            SnapshotStore snapshots = new SnapshotStore(dir.snapshotDirectory());
            StoredSnapshot snap = snapshots.latest().orElse(null);
            long snapIndex = snap == null ? 0 : snap.index();
            log = SegmentedLog.open(dir.logDirectory(), options.log(), snapIndex + 1);
            if (snap != null) {
                boolean logCoversSnapshot = log.firstIndex() <= snapIndex && snapIndex <= log.lastIndex();
                boolean logContinuesSnapshot = log.firstIndex() == snapIndex + 1;
                if (logCoversSnapshot && log.term(snapIndex) != snap.term()) {
                    // The snapshot came from the leader and replaced a conflicting log, but the crash came
                    // before the log was reset: finish the install.
                    LOG.warn("{}: the log disagrees with snapshot {}/{} (term {} there); finishing an interrupted "
                            + "snapshot install by discarding the log", dir.logDirectory(), snapIndex, snap.term(),
                            log.term(snapIndex));
                    log.reset(snapIndex + 1);
                } else if (!logCoversSnapshot && !logContinuesSnapshot) {
                    if (log.lastIndex() < snapIndex) {
                        LOG.warn("{}: the log ends at {}, before snapshot {}/{}; finishing an interrupted snapshot "
                                + "install by starting the log after the snapshot", dir.logDirectory(),
                                log.lastIndex(), snapIndex, snap.term());
                        log.reset(snapIndex + 1);
                    } else {
                        throw new StorageCorruptionException(dir.logDirectory(), -1, "the log starts at index "
                                + log.firstIndex() + " but the snapshot ends at " + snapIndex + " (entries "
                                + (snapIndex + 1) + ".." + (log.firstIndex() - 1) + " are missing)",
                                "Restore the data directory from a backup or rebuild this node from its peers");
                    }
                }
            } else if (log.firstIndex() != 1) {
                throw new StorageCorruptionException(dir.logDirectory(), -1, "the log starts at index "
                        + log.firstIndex() + " but there is no snapshot covering the entries before it",
                        "Restore the snapshots directory from a backup or rebuild this node from its peers");
            }
            return new DurableStorage(dir, hsf, log, snapshots, hs, snap);
        } catch (IOException | RuntimeException e) {
            if (log != null) {
                log.close();
            }
            dir.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------------ LogStorage

    @Override
    public HardState hardState() {
        return hardState;
    }

    /**
     * The configuration entries after the snapshot, read from the log at the positions recovery indexed. With
     * the snapshot's configuration (or the bootstrap membership) under them they give the membership in force
     * ({@link #configuration()}): configuration entries are ordinary log records, as durable as the log, and
     * a truncation or a compaction changes what is returned the way it changes the log.
     */
    @Override
    public List<Entry> configurationEntries() {
        long after = snapshot == null ? 0 : snapshot.index();
        List<Entry> out = new java.util.ArrayList<>();
        for (long index : log.configurationIndices(after)) {
            out.add(entries(index, index, Long.MAX_VALUE).get(0));
        }
        return out;
    }

    @Override
    public SnapshotMeta snapshot() {
        return snapshot == null ? SnapshotMeta.none(directory.initialMembership()) : snapshot.meta();
    }

    @Override
    public long firstIndex() {
        if (snapshot == null) {
            return log.firstIndex();
        }
        // A margin kept after compaction is served so that slightly lagging followers catch up from the log: the
        // first held entry only anchors the consistency check of the next (its predecessor's term is unknown).
        return Math.min(snapshot.index() + 1, Math.max(marginStart, log.firstIndex() + 1));
    }

    @Override
    public long lastIndex() {
        return Math.max(log.lastIndex(), snapshot == null ? 0 : snapshot.index());
    }

    @Override
    public long term(long index) {
        if (snapshot != null && index == snapshot.index()) {
            return snapshot.term();
        }
        if (index == 0 && snapshot == null) {
            return 0;
        }
        if (index < firstIndex() - 1 || index > lastIndex()) {
            throw new IndexOutOfBoundsException("index " + index + " is not held; the log holds " + firstIndex()
                    + ".." + lastIndex());
        }
        return log.term(index);
    }

    @Override
    public List<Entry> entries(long from, long toInclusive, long maxBytes) {
        if (from < firstIndex()) {
            throw new IndexOutOfBoundsException("entry " + from + " is compacted; the log starts at " + firstIndex());
        }
        try {
            return log.entries(from, toInclusive, maxBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("reading entries " + from + ".." + toInclusive + " from "
                    + directory.logDirectory(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ writes

    @Override
    public void writeHardState(HardState state) throws IOException {
        hardStateFile.write(state);
        hardState = state;
    }

    @Override
    public void append(List<Entry> entries) throws IOException {
        if (!entries.isEmpty() && entries.get(0).index() <= firstIndex() - 1) {
            throw new IllegalArgumentException("cannot append at " + entries.get(0).index()
                    + ": a snapshot covers the log up to " + (firstIndex() - 1));
        }
        log.append(entries);
    }

    /** Makes every append since the previous sync durable (one fsync for all of them: group commit). */
    @Override
    public void sync() throws IOException {
        log.sync();
    }

    @Override
    public SnapshotWriter beginSnapshot(long index, long term, Configuration configuration) throws IOException {
        return snapshots.begin(index, term, configuration);
    }

    /**
     * Records that {@code meta} (a snapshot this node took of its own applied state) is published, and removes
     * log segments that end at or before {@code meta.index() - keepEntries}. The margin lets slightly lagging
     * followers still catch up from the log.
     */
    @Override
    public void compactTo(StoredSnapshot meta, long keepEntries) throws IOException {
        compactDeferringDeletion(meta, keepEntries).run();
    }

    /**
     * Records that {@code meta} (a snapshot received from the leader) is published: a log that holds the
     * snapshot's last entry keeps what follows it; any other log is discarded.
     */
    @Override
    public Runnable compactDeferringDeletion(StoredSnapshot meta, long keepEntries) throws IOException {
        snapshot = meta;
        long keep = Math.max(0, keepEntries);
        marginStart = Math.max(marginStart, meta.index() + 1 - keep);
        List<java.nio.file.Path> files = log.detachPrefix(meta.index() - keep);
        java.nio.file.Path dir = directory.logDirectory();
        return () -> {
            try {
                SegmentedLog.deleteDetached(dir, files);
            } catch (IOException e) {
                // Left-over segments only make the log start earlier than it needs to; the next start removes them.
                LOG.warn("{}: deleting compacted log segments failed: {}", dir, e.toString());
            }
        };
    }

    @Override
    public void installSnapshot(StoredSnapshot meta) throws IOException {
        snapshot = meta;
        marginStart = meta.index() + 1;
        if (log.firstIndex() <= meta.index() && meta.index() <= log.lastIndex() && log.term(meta.index()) == meta.term()) {
            log.removePrefix(meta.index());
        } else {
            log.reset(meta.index() + 1);
        }
    }

    @Override
    public Optional<StoredSnapshot> latestSnapshot() {
        return Optional.ofNullable(snapshot);
    }

    @Override
    public SnapshotStore snapshots() {
        return snapshots;
    }

    /** The data directory. */
    public DataDirectory directory() {
        return directory;
    }

    /** Number of segment files (for tests and status). */
    public int segmentCount() {
        return log.segmentCount();
    }

    @Override
    public void close() throws IOException {
        try {
            log.close();
        } finally {
            directory.close();
        }
    }
}
