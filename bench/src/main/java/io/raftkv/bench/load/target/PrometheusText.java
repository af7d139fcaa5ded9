package io.raftkv.bench.load.target;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads chosen metrics from the Prometheus text format (what etcd serves at {@code /metrics}). Samples of one
 * metric with different labels are summed, which is what a per-member total wants.
 */
final class PrometheusText {

    private PrometheusText() {
    }

    /** The values of the metrics named in {@code wanted} that appear in {@code text}. */
    static Map<String, Double> read(String text, Set<String> wanted) {
        Map<String, Double> out = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int nameEnd = 0;
            while (nameEnd < line.length() && line.charAt(nameEnd) != '{' && line.charAt(nameEnd) != ' ') {
                nameEnd++;
            }
            String name = line.substring(0, nameEnd);
            if (!wanted.contains(name)) {
                continue;
            }
            // The value follows the labels (which may contain spaces inside quotes) after the last '}' or the name.
            int valueStart = line.indexOf('}') >= 0 ? line.lastIndexOf('}') + 1 : nameEnd;
            String[] rest = line.substring(valueStart).trim().split("\\s+");
            try {
                out.merge(name, Double.parseDouble(rest[0]), Double::sum);
            } catch (NumberFormatException e) {
                // not a sample line we understand: skip it rather than fail the benchmark
            }
        }
        return out;
    }
}
