package io.raftkv.bench.load;

import java.util.Objects;

/**
 * The keys a workload touches: {@code size} distinct keys of {@code keyBytes} bytes each, taken in order or
 * uniformly at random.
 *
 * <p>Key number {@code i} holds {@code i} big-endian in its last {@code min(8, keyBytes)} bytes, with zero bytes
 * before: distinct numbers give distinct keys, and keys sort as their numbers do.
 *
 * @param order    sequential (0, 1, 2, ... wrapping at {@code size}) or uniform
 * @param size     how many distinct keys
 * @param keyBytes the length of every key
 */
public record KeySpace(Order order, long size, int keyBytes) {

    /** How keys are picked. */
    public enum Order {
        /** Key 0, 1, 2, ... across all clients together, starting again at 0 after the last key. */
        SEQUENTIAL,
        /** Each key equally likely, independently for every operation. */
        UNIFORM
    }

    /** The longest key accepted; raftkv's default limit. */
    public static final int MAX_KEY_BYTES = 4096;

    public KeySpace {
        Objects.requireNonNull(order, "order");
        if (size < 1) {
            throw new IllegalArgumentException("the key space needs at least 1 key (--key-space), got " + size);
        }
        if (keyBytes < 1 || keyBytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("keys must be 1 to " + MAX_KEY_BYTES + " bytes (--key-size), got "
                    + keyBytes);
        }
        if (keyBytes < 8 && size > 1L << (8 * keyBytes)) {
            throw new IllegalArgumentException(size + " distinct keys do not fit in " + keyBytes + "-byte keys (at most "
                    + (1L << (8 * keyBytes)) + "): use longer keys (--key-size) or a smaller --key-space");
        }
    }

    /** Key number {@code index}, {@code 0 <= index < size}. */
    public byte[] key(long index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("key " + index + " is outside the key space of " + size);
        }
        byte[] key = new byte[keyBytes];
        long v = index;
        for (int i = keyBytes - 1; i >= Math.max(0, keyBytes - 8); i--) {
            key[i] = (byte) v;
            v >>>= 8;
        }
        return key;
    }
}
