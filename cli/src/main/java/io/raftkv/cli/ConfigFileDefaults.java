package io.raftkv.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Option values from a config file ({@code .yaml}/{@code .yml} or {@code .properties}): a key is an option's
 * long name without the dashes ({@code data-dir: data/n1}). Options given on the command line win. A key that
 * names no option is an error, so a typo never silently falls back to a default.
 */
final class ConfigFileDefaults implements CommandLine.IDefaultValueProvider {

    private static final long MAX_FILE_BYTES = 1 << 20;

    private final Map<String, String> values;

    private ConfigFileDefaults(Map<String, String> values) {
        this.values = values;
    }

    /** Reads {@code file} and checks every key against the options of {@code spec}. */
    static ConfigFileDefaults load(Path file, CommandLine.Model.CommandSpec spec) {
        Map<String, String> values = new HashMap<>();
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new CommandLine.ParameterException(spec.commandLine(), "config file " + file
                        + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (name.endsWith(".properties")) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                p.forEach((k, v) -> values.put(k.toString().trim(), v.toString().trim()));
            } else if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
                if (root == null || !root.isObject()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "config file " + file
                            + " must be a YAML mapping of option names to values");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (e.getValue().isContainerNode()) {
                        throw new CommandLine.ParameterException(spec.commandLine(), "config file " + file
                                + ": '" + e.getKey() + "' must be a single value");
                    }
                    values.put(e.getKey(), e.getValue().asText());
                }
            } else {
                throw new CommandLine.ParameterException(spec.commandLine(), "config file " + file
                        + " must end in .yaml, .yml or .properties");
            }
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "cannot read config file " + file + ": "
                    + e.getMessage());
        }
        for (String key : values.keySet()) {
            if (spec.findOption("--" + key) == null || key.equals("config")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "config file " + file
                        + ": '" + key + "' is not an option of '" + spec.qualifiedName() + "'");
            }
        }
        return new ConfigFileDefaults(values);
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (arg instanceof CommandLine.Model.OptionSpec o) {
            String v = values.get(o.longestName().replaceFirst("^--", ""));
            if (v != null) {
                return v;
            }
        }
        return arg.defaultValue();
    }
}
