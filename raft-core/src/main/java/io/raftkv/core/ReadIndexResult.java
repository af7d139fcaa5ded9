package io.raftkv.core;

/** The answer to {@link RaftNode#readIndex}. */
public sealed interface ReadIndexResult permits ReadIndexResult.Accepted, NotLeader {

    /**
     * The read is tracked: its {@link ReadState} arrives in a later {@link Ready} once it is safe, or its id
     * appears in {@link Ready#abortedReads()} if leadership changed first.
     */
    record Accepted() implements ReadIndexResult {
    }
}
