package io.raftkv.core.log;

import io.raftkv.core.Entry;
import java.util.List;

/**
 * A read-only view of a node's whole log as the core sees it: durable entries plus those appended but not
 * yet acknowledged as persisted. For status pages, tests and the simulator's invariant checks.
 */
public interface LogView {

    /** The first index held (after any compaction). */
    long firstIndex();

    /** The last index held, including entries not yet persisted. */
    long lastIndex();

    /** The last index acknowledged as persisted by the runtime. */
    long persistedIndex();

    /** The highest index known to be committed. */
    long commitIndex();

    /** The term at {@code index}, or -1 if that entry is not held (compacted, or beyond the end). */
    long term(long index);

    /** Entries {@code from..toInclusive} (clamped to what is held), with no byte limit. */
    List<Entry> entries(long from, long toInclusive);
}
