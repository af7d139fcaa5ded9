package io.raftkv.core;

/** What a log entry carries. */
public enum EntryType {
    /** A command for the application's state machine. */
    COMMAND,
    /** The empty entry every new leader appends so that it can commit entries of earlier terms. */
    NOOP
}
