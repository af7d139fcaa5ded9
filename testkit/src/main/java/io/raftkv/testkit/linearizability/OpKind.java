package io.raftkv.testkit.linearizability;

import java.util.Locale;

/** The key-value operations a history records; {@link #jsonName()} is the {@code f} field of the history format. */
public enum OpKind {
    /** {@code value} is the new value. */
    PUT,
    /** {@code value} is null at invoke and the value read (null = absent) at ok. */
    GET,
    /** {@code value} is null. */
    DELETE,
    /** {@code value} is {@code [expected, new]}; expected null means "only if absent". */
    CAS;

    /** The name used in the {@code f} field. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind for an {@code f} field, or null if it names none. */
    static OpKind fromJson(String f) {
        for (OpKind k : values()) {
            if (k.jsonName().equals(f)) {
                return k;
            }
        }
        return null;
    }
}
