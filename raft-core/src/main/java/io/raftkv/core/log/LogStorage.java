package io.raftkv.core.log;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.SnapshotMeta;
import java.util.List;

/**
 * Read access to what a node has made durable: its hard state, membership and log. The runtime implements
 * it (in memory for tests, on disk in production) and writes to it as a {@link io.raftkv.core.Ready}
 * instructs; the core only reads. Entries handed to the runtime but not yet acknowledged are served by the
 * core itself, so an implementation never sees a half-written append.
 *
 * <p>Index {@code firstIndex() - 1} is the last index covered by a snapshot (0 when there is none); its
 * term must still be answerable by {@link #term}.
 */
public interface LogStorage {

    /** The persisted term and vote. */
    HardState hardState();

    /**
     * The configuration entries the log holds after the snapshot ({@code index > snapshot().index()}), in index
     * order. A configuration is in force from the moment its entry is in the log, so these, over the
     * snapshot's configuration, say which membership a restarting node is in and which one it falls back to
     * if an entry is truncated away. Few (one per membership change): implementations track where they are
     * rather than scan the log.
     */
    List<Entry> configurationEntries();

    /**
     * The membership in force for this log: that of its latest configuration entry, or the snapshot's if it
     * holds none after the snapshot (for a log never compacted, the membership the node was bootstrapped with).
     */
    default Configuration configuration() {
        List<Entry> entries = configurationEntries();
        return entries.isEmpty() ? snapshot().configuration() : entries.get(entries.size() - 1).configuration();
    }

    /**
     * The snapshot the log starts after: {@code snapshot().index() == firstIndex() - 1}, with the term of that
     * index and the membership there ({@link SnapshotMeta#none} if nothing was ever compacted). A leader sends
     * it to followers that need entries before {@link #firstIndex()}.
     */
    SnapshotMeta snapshot();

    /** The first index held in the log (1 if nothing was ever compacted). */
    long firstIndex();

    /** The last index held, or {@code firstIndex() - 1} when the log is empty. */
    long lastIndex();

    /**
     * The term of the entry at {@code index}, for {@code firstIndex() - 1 <= index <= lastIndex()}.
     *
     * @throws IndexOutOfBoundsException for any other index
     */
    long term(long index);

    /**
     * Consecutive entries from {@code from} to at most {@code toInclusive}, stopping before the total of
     * {@link Entry#sizeBytes()} would exceed {@code maxBytes}, but always at least one entry.
     *
     * @throws IndexOutOfBoundsException if {@code from} is outside {@code firstIndex()..lastIndex()}
     */
    List<Entry> entries(long from, long toInclusive, long maxBytes);
}
