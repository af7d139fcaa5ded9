package io.raftkv.cli.torture;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Records the history of client operations in the format of {@code shared/guide/testing.md} (one JSON object a
 * line: process, type invoke|ok|fail|info, f, key, value, time in monotonic nanoseconds). Thread-safe.
 */
final class HistoryRecorder implements AutoCloseable {

    private final ObjectMapper json = new ObjectMapper();
    private final BufferedWriter out;

    HistoryRecorder(Path file) throws IOException {
        this.out = Files.newBufferedWriter(file);
    }

    /** Records one event; {@code value} is a String, null, or a String[] of two (cas). */
    synchronized void record(long process, String type, String f, String key, Object value, long time) {
        ObjectNode n = json.createObjectNode();
        n.put("process", process);
        n.put("type", type);
        n.put("f", f);
        n.put("key", key);
        if (value instanceof String[] pair) {
            ArrayNode a = n.putArray("value");
            a.add(pair[0]);
            a.add(pair[1]);
        } else if (value == null) {
            n.putNull("value");
        } else {
            n.put("value", value.toString());
        }
        n.put("time", time);
        try {
            out.write(json.writeValueAsString(n));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
