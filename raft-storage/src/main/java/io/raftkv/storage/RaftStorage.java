package io.raftkv.storage;

import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.log.LogStorage;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Durable state a runtime can both read (as the core's {@link LogStorage}) and write as Readys instruct.
 * Implemented by {@link DurableStorage}; tests may use an in-memory implementation.
 */
public interface RaftStorage extends LogStorage, Closeable {

    /** Replaces the hard state, durably, before returning. */
    void writeHardState(HardState state) throws IOException;

    /** Appends entries, replacing held entries from the first one's index on; durable after {@link #sync()}. */
    void append(List<Entry> entries) throws IOException;

    /** Makes every append since the previous sync durable. */
    void sync() throws IOException;
}
