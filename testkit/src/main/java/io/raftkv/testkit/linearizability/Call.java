package io.raftkv.testkit.linearizability;

import java.util.Objects;

/**
 * What an operation asks for, or with its result: the {@code f}, {@code key} and {@code value} of an event.
 *
 * <p>{@code value} is the new value of a put or a cas, the value read by a get (null at invoke; null at ok means
 * absent) and null for a delete; {@code expected} is only used by a cas (null = "only if absent").
 *
 * @param f the operation
 * @param key the key
 * @param expected a cas's expected value (null = absent); null for other kinds
 * @param value see above
 */
public record Call(OpKind f, String key, String expected, String value) {

    public Call {
        Objects.requireNonNull(f, "f");
        Objects.requireNonNull(key, "key");
        if (f != OpKind.CAS && expected != null) {
            throw new IllegalArgumentException("only a cas has an expected value, not a " + f.jsonName());
        }
        if (f == OpKind.PUT && value == null) {
            throw new IllegalArgumentException("a put needs a value (a delete removes the key)");
        }
        if (f == OpKind.CAS && value == null) {
            throw new IllegalArgumentException("a cas needs a new value (expected may be null, meaning absent)");
        }
        if (f == OpKind.DELETE && value != null) {
            throw new IllegalArgumentException("a delete has no value");
        }
    }

    /** put(key, value). */
    public static Call put(String key, String value) {
        return new Call(OpKind.PUT, key, null, value);
    }

    /** A get as invoked (no value yet). */
    public static Call get(String key) {
        return new Call(OpKind.GET, key, null, null);
    }

    /** A get that read {@code read} (null = absent): the form of its ok. */
    public static Call read(String key, String read) {
        return new Call(OpKind.GET, key, null, read);
    }

    /** delete(key). */
    public static Call delete(String key) {
        return new Call(OpKind.DELETE, key, null, null);
    }

    /** cas(key, expected, newValue); expected null means "only if absent". */
    public static Call cas(String key, String expected, String newValue) {
        return new Call(OpKind.CAS, key, expected, newValue);
    }

    /** This call as it is invoked: a get carries no value at invoke. */
    Call asInvoked() {
        return f == OpKind.GET && value != null ? get(key) : this;
    }
}
