package io.raftkv.testkit.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A parsed scenario script: one command per line, {@code #} starts a comment (a whole line, or the rest of a
 * command line after {@code " #"}). Words of the form {@code key=value} are options; the other words are
 * positional arguments. See {@code docs/scenarios.md} for the commands.
 *
 * @param name  the script's name (file name without {@code .script}), used in failure messages
 * @param lines every line of the file, comments and blank lines included
 */
public record ScenarioScript(String name, List<ScriptLine> lines) {

    /** An option word: a lower-case key (letters and dashes), '=', a value. "<=" is an argument, not an option. */
    private static final Pattern OPTION = Pattern.compile("[a-z][a-z-]*=.+");

    public ScenarioScript {
        lines = List.copyOf(lines);
    }

    /** Parses the text of a script. */
    public static ScenarioScript parse(String name, String text) {
        List<ScriptLine> lines = new ArrayList<>();
        String[] raw = text.split("\r?\n", -1);
        int count = raw.length;
        if (count > 0 && raw[count - 1].isEmpty()) {
            count--; // the final line break does not start another line
        }
        for (int i = 0; i < count; i++) {
            lines.add(parseLine(i + 1, raw[i]));
        }
        return new ScenarioScript(name, lines);
    }

    private static ScriptLine parseLine(int number, String text) {
        String code = text;
        int comment = code.startsWith("#") ? 0 : code.indexOf(" #");
        if (comment >= 0) {
            code = code.substring(0, comment);
        }
        code = code.strip();
        if (code.isEmpty()) {
            return new ScriptLine(number, text, null, List.of(), Map.of());
        }
        String[] words = code.split("\\s+");
        List<String> args = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            if (OPTION.matcher(w).matches()) {
                int eq = w.indexOf('=');
                options.put(w.substring(0, eq), w.substring(eq + 1));
            } else {
                args.add(w);
            }
        }
        return new ScriptLine(number, text, words[0], List.copyOf(args),
                Collections.unmodifiableMap(options));
    }
}
