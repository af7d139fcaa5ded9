package io.raftkv.server;

/**
 * A committed command handed to the state machine.
 *
 * @param index the log index it was committed at (unique, increasing: a natural revision number)
 * @param term  the term of the leader that proposed it
 * @param data  the command bytes as proposed; must not be modified
 */
public record Command(long index, long term, byte[] data) {
}
