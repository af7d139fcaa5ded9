package io.raftkv.testkit.linearizability;

import java.util.Locale;

/** The {@code type} field of a history event: an invoke, then exactly one completion. */
public enum EventType {
    /** The client sent the operation. */
    INVOKE,
    /** The operation happened, with the recorded result. */
    OK,
    /** The operation certainly did not happen. */
    FAIL,
    /** Unknown (timeout, lost connection): it may take effect at any time after its invoke, or never. */
    INFO;

    /** The name used in the {@code type} field. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static EventType fromJson(String type) {
        for (EventType t : values()) {
            if (t.jsonName().equals(type)) {
                return t;
            }
        }
        return null;
    }
}
