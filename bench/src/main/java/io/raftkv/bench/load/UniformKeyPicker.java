package io.raftkv.bench.load;

import java.util.SplittableRandom;

/** Uniformly random key numbers; one per client, not thread-safe (a client issues one operation at a time). */
final class UniformKeyPicker implements KeyPicker {

    private final long size;
    private final SplittableRandom random;

    UniformKeyPicker(long size, long seed, int client) {
        this.size = size;
        // Mixing the client number into the seed gives every client its own stream of the same run.
        this.random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + client);
    }

    @Override
    public long next() {
        return random.nextLong(size);
    }
}
