package io.raftkv.storage.crash;

import java.util.SplittableRandom;

/**
 * The payload of every entry the crash test writes, a pure function of the entry's (index, term): its length
 * (0 to {@value #MAX_BYTES} bytes) and its bytes. The child writes it and the parent recomputes it, so any
 * entry read back after a crash can be checked byte for byte without the parent ever seeing what the child
 * sent, and an entry that survived with a stale or mixed-up term fails the check.
 */
final class CrashPayload {

    /** Largest payload; random sizes between 0 and this exercise records of very different lengths. */
    static final int MAX_BYTES = 1024;

    private CrashPayload() {
    }

    /** The payload of entry {@code index} written in {@code term}. */
    static byte[] of(long index, long term) {
        // Two odd 64-bit constants spread (index, term) over the seed so that neighbouring entries and the
        // same index in the next term get unrelated contents.
        SplittableRandom random = new SplittableRandom(index * 0x9E3779B97F4A7C15L ^ term * 0xC2B2AE3D27D4EB4FL);
        byte[] data = new byte[random.nextInt(MAX_BYTES + 1)];
        random.nextBytes(data);
        return data;
    }
}
