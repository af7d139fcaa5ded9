package io.raftkv.core;

/** What a log entry carries. */
public enum EntryType {
    /** A command for the application's state machine. */
    COMMAND,
    /** The empty entry every new leader appends so that it can commit entries of earlier terms. */
    NOOP,
    /**
     * A membership change: the whole new {@link Configuration} ({@link Configuration#encode()}). It takes effect
     * on a node as soon as it is in the node's log, committed or not, and stops if it is truncated away.
     */
    CONFIGURATION
}
