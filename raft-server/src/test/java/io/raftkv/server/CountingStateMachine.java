package io.raftkv.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A test state machine: commands {@code key=value}; remembers values and counts applications per command. */
final class CountingStateMachine implements StateMachine<String> {

    final Map<String, String> values = new ConcurrentHashMap<>();
    final Map<String, Integer> applications = new ConcurrentHashMap<>();
    final AtomicLong lastIndex = new AtomicLong();
    final AtomicLong restores = new AtomicLong();

    @Override
    public List<String> apply(List<Command> commands) {
        List<String> results = new ArrayList<>(commands.size());
        for (Command c : commands) {
            String s = new String(c.data(), StandardCharsets.UTF_8);
            int eq = s.indexOf('=');
            String previous = values.put(s.substring(0, eq), s.substring(eq + 1));
            applications.merge(s, 1, Integer::sum);
            lastIndex.set(c.index());
            results.add("applied at " + c.index() + ", previous " + previous);
        }
        return results;
    }

    /** A copy of the values, written as {@code key=value} lines. */
    @Override
    public StateCapture captureSnapshot() {
        Map<String, String> copy = new java.util.TreeMap<>(values);
        return new StateCapture() {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                StringBuilder sb = new StringBuilder();
                copy.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
                out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void restore(InputStream in) throws IOException {
        values.clear();
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (!line.isEmpty()) {
                int eq = line.indexOf('=');
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        restores.incrementAndGet();
    }
}
