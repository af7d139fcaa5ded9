package io.raftkv.bench.load;

import java.util.concurrent.atomic.AtomicLong;

/** Key numbers 0, 1, 2, ... in the order they are asked for, by any thread, wrapping at the key space's size. */
final class SequentialKeyPicker implements KeyPicker {

    private final long size;
    private final AtomicLong next = new AtomicLong();

    SequentialKeyPicker(long size) {
        this.size = size;
    }

    @Override
    public long next() {
        return Math.floorMod(next.getAndIncrement(), size);
    }
}
