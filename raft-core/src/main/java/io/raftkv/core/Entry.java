package io.raftkv.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * One log entry. The payload array is owned by the entry once created: nobody may modify it afterwards
 * (it is shared, not copied, between the log, outgoing messages and the state machine on the hot path).
 *
 * @param index position in the log, from 1
 * @param term  term of the leader that created the entry
 * @param type  command, leader no-op or configuration
 * @param data  the command bytes; empty for a no-op; the encoded configuration for a configuration entry
 */
public record Entry(long index, long term, EntryType type, byte[] data) {

    /** Bytes counted per entry on top of its payload when sizing batches and limits. */
    public static final int OVERHEAD_BYTES = 24;

    private static final byte[] EMPTY = new byte[0];

    public Entry {
        if (index < 1) {
            throw new IllegalArgumentException("entry index must be >= 1, got " + index);
        }
        if (term < 1) {
            throw new IllegalArgumentException("entry term must be >= 1, got " + term);
        }
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (type == EntryType.CONFIGURATION) {
            Configuration.decode(data); // an entry that exists carries a valid membership (rare: cheap enough)
        }
    }

    /** A command entry. */
    public static Entry command(long index, long term, byte[] data) {
        return new Entry(index, term, EntryType.COMMAND, data);
    }

    /** A leader's no-op entry. */
    public static Entry noop(long index, long term) {
        return new Entry(index, term, EntryType.NOOP, EMPTY);
    }

    /** A configuration entry carrying the whole new membership. */
    public static Entry configuration(long index, long term, Configuration configuration) {
        return new Entry(index, term, EntryType.CONFIGURATION, configuration.encode());
    }

    /**
     * The membership a configuration entry carries.
     *
     * @throws IllegalStateException    if this is not a configuration entry
     * @throws IllegalArgumentException if its data is not a valid encoding
     */
    public Configuration configuration() {
        if (type != EntryType.CONFIGURATION) {
            throw new IllegalStateException("entry " + index + "/" + term + " is a " + type + ", not a configuration");
        }
        return Configuration.decode(data);
    }

    /** The size this entry counts for in message, window and memory limits. */
    public long sizeBytes() {
        return (long) data.length + OVERHEAD_BYTES;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.index == index && e.term == term && e.type == type
                && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(index) * 31 + Long.hashCode(term) * 17 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return index + "/" + term + switch (type) {
            case NOOP -> " noop";
            case CONFIGURATION -> " config " + Configuration.decode(data);
            case COMMAND -> " " + data.length + "B";
        };
    }
}
