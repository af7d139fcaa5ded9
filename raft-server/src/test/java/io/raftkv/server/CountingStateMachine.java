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

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        throw new UnsupportedOperationException("not used by these tests");
    }

    @Override
    public void restore(InputStream in) throws IOException {
        throw new UnsupportedOperationException("not used by these tests");
    }
}
