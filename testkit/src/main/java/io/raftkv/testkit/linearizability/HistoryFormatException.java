package io.raftkv.testkit.linearizability;

/**
 * A history that cannot be read or is not well formed (a completion without invoke, two open operations on one
 * process, a completion whose f or key differs from its invoke...). The message names the line.
 */
public final class HistoryFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int line;

    public HistoryFormatException(int line, String message) {
        super("history line " + line + ": " + message);
        this.line = line;
    }

    public HistoryFormatException(int line, String message, Throwable cause) {
        super("history line " + line + ": " + message, cause);
        this.line = line;
    }

    /** The 1-based line (or event number, for a history built in memory) the problem is on. */
    public int line() {
        return line;
    }
}
