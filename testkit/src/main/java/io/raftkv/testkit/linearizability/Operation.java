package io.raftkv.testkit.linearizability;

/**
 * An invoke paired with its completion. Failed operations never become one (they did not happen).
 *
 * @param id position in the history's operation list (ordered by invoke)
 * @param process the client
 * @param f the operation
 * @param key the key
 * @param expected a cas's expected value (null = absent), otherwise null
 * @param value put/cas: the new value; get: the value read (null = absent; meaningless for an info get);
 *     delete: null
 * @param invokeTime when it was invoked (ns)
 * @param completeTime when it completed (ns); {@link #NEVER} for an info or never-completed operation
 * @param status OK or INFO
 * @param line the history line of its invoke
 */
public record Operation(
        int id,
        long process,
        OpKind f,
        String key,
        String expected,
        String value,
        long invokeTime,
        long completeTime,
        Status status,
        int line) {

    /** Completion time of an operation whose outcome is unknown: it may take effect at any later time. */
    public static final long NEVER = Long.MAX_VALUE;

    /** Whether the operation is known to have happened. */
    public enum Status {
        /** It happened, with the recorded result. */
        OK,
        /** Unknown: it may have taken effect at any time after its invoke, or not at all. */
        INFO
    }

    /** The value this operation leaves in the register if it takes effect (null = absent); get: none. */
    String written() {
        return switch (f) {
            case PUT, CAS -> value;
            case DELETE -> null;
            case GET -> throw new IllegalStateException("a get writes nothing");
        };
    }

    /** A short readable form: {@code put("1")}, {@code get() -> "1"}, {@code cas("a" -> "b")}, {@code delete()}. */
    public String describe() {
        return switch (f) {
            case PUT -> "put(" + quote(value) + ")";
            case DELETE -> "delete()";
            case GET -> status == Status.OK ? "get() -> " + quote(value) : "get() -> ?";
            case CAS -> "cas(" + quote(expected) + " -> " + quote(value) + ")";
        };
    }

    static String quote(String v) {
        return v == null ? "absent" : '"' + v + '"';
    }
}
