package io.raftkv.testkit.scenario;

import java.util.Arrays;

/**
 * The text a scenario run produces: the script's lines, each command followed by its indented output. In
 * quiet mode (used while time passes in a {@code run} command) only events such as role changes are kept,
 * each prefixed with the tick at which it happened, so that long stretches of heartbeats stay readable.
 */
public final class Transcript {

    private final StringBuilder text = new StringBuilder();
    private boolean quiet;
    private String eventPrefix = "";

    /** Appends a line as it is. */
    public void line(String line) {
        text.append(line).append('\n');
    }

    /** A line of routine detail (a message, a Ready): dropped in quiet mode. */
    void detail(int indent, String line) {
        if (!quiet) {
            line(" ".repeat(indent) + line);
        }
    }

    /** A line worth reading even in quiet mode (a role change, a served read). */
    void event(int indent, String line) {
        line(quiet ? "  " + eventPrefix + line : " ".repeat(indent) + line);
    }

    /** Keeps only events from now on, each prefixed with {@code prefix}. */
    void quiet(String prefix) {
        quiet = true;
        eventPrefix = prefix;
    }

    /** Back to printing everything. */
    void loud() {
        quiet = false;
        eventPrefix = "";
    }

    /** The text so far. */
    public String text() {
        return text.toString();
    }

    /** The last {@code n} lines so far, for failure messages. */
    String tail(int n) {
        String[] all = text.toString().split("\n", -1);
        int end = all.length > 0 && all[all.length - 1].isEmpty() ? all.length - 1 : all.length;
        int start = Math.max(0, end - n);
        return String.join("\n", Arrays.asList(all).subList(start, end));
    }
}
