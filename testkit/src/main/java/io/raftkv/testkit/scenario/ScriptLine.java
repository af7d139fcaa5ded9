package io.raftkv.testkit.scenario;

import java.util.List;
import java.util.Map;

/**
 * One line of a scenario script. Comment and blank lines are kept (with a null {@code command}) so that the
 * transcript reproduces the script's explanations in place.
 *
 * @param number  1-based line number in the script, for error messages
 * @param text    the line as written (without the line break)
 * @param command the first word, or {@code null} for a comment or blank line
 * @param args    the words after the command that are not {@code key=value} options, in order
 * @param options the {@code key=value} words, in order of appearance
 */
public record ScriptLine(int number, String text, String command, List<String> args, Map<String, String> options) {

    /** True if the line is a command rather than a comment or blank line. */
    public boolean isCommand() {
        return command != null;
    }
}
