package io.raftkv.core;

import java.util.Objects;

/**
 * The identity of a Raft member. Ids are short, printable and stable for the life of a member: they are
 * persisted (as the vote) and appear in every message, so they are validated here once.
 *
 * @param value 1 to 64 characters from {@code [A-Za-z0-9._-]}
 */
public record NodeId(String value) implements Comparable<NodeId> {

    /** Longest id accepted; ids travel in every message header. */
    public static final int MAX_LENGTH = 64;

    public NodeId {
        Objects.requireNonNull(value, "node id");
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "node id must be 1 to " + MAX_LENGTH + " characters, got " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException(
                        "node id '" + value + "' has character '" + c + "'; use letters, digits, '.', '_' or '-'");
            }
        }
    }

    /** Shorthand for {@code new NodeId(value)}. */
    public static NodeId of(String value) {
        return new NodeId(value);
    }

    @Override
    public int compareTo(NodeId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
