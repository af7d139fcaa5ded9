package io.raftkv.bench.load.target;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;

/**
 * Every number in a JSON document, by dotted path ({@code {"metrics":{"fsyncs":3}}} gives {@code metrics.fsyncs
 * = 3}). The benchmark reads the server's status this way so that counters the server adds later are picked up
 * without a change here.
 */
final class JsonNumbers {

    private JsonNumbers() {
    }

    static Map<String, Double> flatten(JsonNode root) {
        Map<String, Double> out = new HashMap<>();
        walk("", root, out);
        return out;
    }

    private static void walk(String path, JsonNode node, Map<String, Double> out) {
        if (node.isNumber()) {
            out.put(path, node.asDouble());
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                walk(path.isEmpty() ? field.getKey() : path + "." + field.getKey(), field.getValue(), out);
            }
        }
        // Arrays (members, faults) are lists of names, not counters.
    }
}
