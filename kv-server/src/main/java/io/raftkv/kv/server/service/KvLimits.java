package io.raftkv.kv.server.service;

/**
 * Size limits checked before a request reaches the log.
 *
 * @param maxKeyBytes   longest key (default 4 KiB)
 * @param maxValueBytes longest value (default 1 MiB)
 * @param maxScanLimit  most keys one scan returns (default 10,000)
 */
public record KvLimits(int maxKeyBytes, int maxValueBytes, int maxScanLimit) {

    public static KvLimits defaults() {
        return new KvLimits(4096, 1 << 20, 10_000);
    }

    void checkKey(byte[] key) {
        if (key.length == 0) {
            throw new KvException(ErrorCode.BAD_REQUEST, "the key is empty");
        }
        if (key.length > maxKeyBytes) {
            throw new KvException(ErrorCode.TOO_LARGE, "the key is " + key.length + " bytes; the limit is "
                    + maxKeyBytes);
        }
    }

    void checkValue(byte[] value) {
        if (value.length > maxValueBytes) {
            throw new KvException(ErrorCode.TOO_LARGE, "the value is " + value.length + " bytes; the limit is "
                    + maxValueBytes);
        }
    }
}
