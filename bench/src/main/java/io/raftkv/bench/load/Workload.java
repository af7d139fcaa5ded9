package io.raftkv.bench.load;

import io.raftkv.bench.load.target.ReadConsistency;
import java.util.Locale;
import java.util.Objects;

/**
 * What the clients do: puts, gets, or a mix, on which keys, with values of which size.
 *
 * @param kind        put, get or mixed
 * @param readRatio   the share of operations that are gets: 0 for put, 1 for get, in between for mixed
 * @param consistency how fresh gets must be
 * @param keys        the key space
 * @param valueBytes  the length of every value written (and preloaded for gets)
 */
public record Workload(Kind kind, double readRatio, ReadConsistency consistency, KeySpace keys, int valueBytes) {

    /** The workloads of {@code raftkv bench --workload}. */
    public enum Kind {
        PUT, GET, MIXED
    }

    /** The largest value accepted; raftkv's default limit. */
    public static final int MAX_VALUE_BYTES = 1 << 20;

    public Workload {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(keys, "keys");
        if (!(readRatio >= 0 && readRatio <= 1)) {
            throw new IllegalArgumentException("the read ratio must be 0 to 1 (--read-ratio), got " + readRatio);
        }
        if (kind == Kind.PUT && readRatio != 0 || kind == Kind.GET && readRatio != 1) {
            throw new IllegalArgumentException(kind.name().toLowerCase(Locale.ROOT) + " has a fixed read ratio; "
                    + "use --workload mixed for a mix");
        }
        if (valueBytes < 0 || valueBytes > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("values must be 0 to " + MAX_VALUE_BYTES + " bytes (--value-size), got "
                    + valueBytes);
        }
    }

    /** Only puts. */
    public static Workload put(KeySpace keys, int valueBytes) {
        return new Workload(Kind.PUT, 0, ReadConsistency.LINEARIZABLE, keys, valueBytes);
    }

    /** Only gets, of keys preloaded with values of {@code valueBytes}. */
    public static Workload get(ReadConsistency consistency, KeySpace keys, int valueBytes) {
        return new Workload(Kind.GET, 1, consistency, keys, valueBytes);
    }

    /** Gets with probability {@code readRatio}, puts otherwise. */
    public static Workload mixed(double readRatio, ReadConsistency consistency, KeySpace keys, int valueBytes) {
        return new Workload(Kind.MIXED, readRatio, consistency, keys, valueBytes);
    }

    /** Whether any operation is a get (then the key space is preloaded first). */
    public boolean reads() {
        return readRatio > 0;
    }

    /** For reports: "put", "get linearizable", "mixed 10% get linearizable". */
    public String label() {
        String c = consistency.name().toLowerCase(Locale.ROOT);
        return switch (kind) {
            case PUT -> "put";
            case GET -> "get " + c;
            case MIXED -> "mixed " + Math.round(readRatio * 100) + "% get " + c;
        };
    }
}
