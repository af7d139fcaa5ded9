package io.raftkv.testkit.linearizability;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A recorded key-value history: invokes and completions, one JSON object a line (the format of
 * {@code docs/linearizability.md}). Immutable. Read one with {@link #read(Path)} / {@link #parse(Reader)}, build
 * one in a test with {@link #builder()}, record one from concurrent clients with {@link #recorder()}.
 */
public final class History {

    // Jackson's mapper and factory are thread-safe once configured, and are never reconfigured.
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory JSON = MAPPER.getFactory();

    private final List<HistoryEvent> events;
    private final int[] lines;

    private History(List<HistoryEvent> events, int[] lines) {
        this.events = List.copyOf(events);
        this.lines = lines;
    }

    /** A history of these events, in this order (event i is "line" i + 1 in error messages). */
    public static History of(List<HistoryEvent> events) {
        int[] lines = new int[events.size()];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = i + 1;
        }
        return new History(events, lines);
    }

    /** The events in recorded order. */
    public List<HistoryEvent> events() {
        return events;
    }

    /** The line of the file (or the 1-based position) event {@code index} came from. */
    public int lineOf(int index) {
        return lines[index];
    }

    // ---------------------------------------------------------------------------------------------- reading

    /** Reads a JSON-lines history file (UTF-8). */
    public static History read(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r);
        }
    }

    /** Parses JSON lines; blank lines are skipped. Throws {@link HistoryFormatException} naming the bad line. */
    public static History parse(Reader reader) throws IOException {
        BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        List<HistoryEvent> events = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        int lineNo = 0;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            events.add(parseLine(line, lineNo));
            lineNumbers.add(lineNo);
        }
        return new History(events, lineNumbers.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Parses JSON lines held in a string. */
    public static History parse(String jsonLines) {
        try {
            return parse(new StringReader(jsonLines));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringReader does not fail
        }
    }

    private static HistoryEvent parseLine(String line, int lineNo) {
        JsonNode n;
        try {
            n = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new HistoryFormatException(lineNo, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new HistoryFormatException(lineNo, "expected a JSON object, found: " + abbreviate(line));
        }
        long process = integral(n, "process", lineNo);
        long time = integral(n, "time", lineNo);
        String typeName = text(n, "type", lineNo);
        EventType type = EventType.fromJson(typeName);
        if (type == null) {
            throw new HistoryFormatException(lineNo, "type \"" + typeName + "\" is not one of invoke, ok, fail, info");
        }
        String fName = text(n, "f", lineNo);
        OpKind f = OpKind.fromJson(fName);
        if (f == null) {
            throw new HistoryFormatException(lineNo, "f \"" + fName + "\" is not one of put, get, delete, cas");
        }
        String key = text(n, "key", lineNo);
        JsonNode v = n.get("value");
        boolean absent = v == null || v.isNull();
        Call call = switch (f) {
            case PUT -> {
                if (absent) {
                    throw new HistoryFormatException(lineNo, "a put needs a string value (a delete removes a key)");
                }
                yield Call.put(key, scalar(v, lineNo, "put value"));
            }
            case DELETE -> {
                if (!absent) {
                    throw new HistoryFormatException(lineNo, "a delete has value null, found " + v);
                }
                yield Call.delete(key);
            }
            case GET -> {
                if (type == EventType.INVOKE && !absent) {
                    throw new HistoryFormatException(lineNo, "a get's invoke has value null, found " + v);
                }
                yield Call.read(key, absent ? null : scalar(v, lineNo, "get value"));
            }
            case CAS -> {
                if (absent || !v.isArray() || v.size() != 2) {
                    throw new HistoryFormatException(lineNo,
                            "a cas has value [expected, new] (expected null = absent), found " + v);
                }
                JsonNode expected = v.get(0);
                JsonNode next = v.get(1);
                if (next.isNull()) {
                    throw new HistoryFormatException(lineNo, "a cas's new value cannot be null, found " + v);
                }
                yield Call.cas(key, expected.isNull() ? null : scalar(expected, lineNo, "cas expected value"),
                        scalar(next, lineNo, "cas new value"));
            }
        };
        return new HistoryEvent(process, type, call, time);
    }

    private static long integral(JsonNode n, String field, int lineNo) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new HistoryFormatException(lineNo, "field \"" + field + "\" must be an integer, found "
                    + (v == null ? "nothing" : v.toString()));
        }
        return v.longValue();
    }

    private static String text(JsonNode n, String field, int lineNo) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new HistoryFormatException(lineNo, "field \"" + field + "\" must be a string, found "
                    + (v == null ? "nothing" : v.toString()));
        }
        return v.textValue();
    }

    // Values are compared as text: numbers and booleans are accepted and read as their JSON text.
    private static String scalar(JsonNode v, int lineNo, String what) {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isNumber() || v.isBoolean()) {
            return v.asText();
        }
        throw new HistoryFormatException(lineNo, what + " must be a string, found " + v);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    // ---------------------------------------------------------------------------------------------- writing

    /** Writes the history as JSON lines. */
    public void writeTo(Writer out) throws IOException {
        for (HistoryEvent e : events) {
            writeLine(e, out);
        }
    }

    /** Writes the history as a JSON-lines file (UTF-8), replacing it. */
    public void writeTo(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            writeTo(w);
        }
    }

    /** The history as JSON lines, each ending with a newline. */
    public String toJsonLines() {
        StringWriter w = new StringWriter();
        try {
            writeTo(w);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return w.toString();
    }

    /** One event as a line of JSON (without the newline). */
    public static String toJson(HistoryEvent e) {
        StringWriter w = new StringWriter();
        try {
            writeLine(e, w);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return w.toString().stripTrailing();
    }

    private static void writeLine(HistoryEvent e, Writer out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            g.writeNumberField("process", e.process());
            g.writeStringField("type", e.type().jsonName());
            g.writeStringField("f", e.f().jsonName());
            g.writeStringField("key", e.key());
            g.writeFieldName("value");
            Call c = e.call();
            if (c.f() == OpKind.CAS) {
                g.writeStartArray();
                g.writeString(c.expected());
                g.writeString(c.value());
                g.writeEndArray();
            } else {
                g.writeString(c.value()); // writes null for null
            }
            g.writeNumberField("time", e.time());
            g.writeEndObject();
        }
        out.write('\n');
    }

    // ---------------------------------------------------------------------------------------------- pairing

    /**
     * Pairs every invoke with its completion and validates the history: a completion needs an open invoke on
     * its process with the same f and key (and, for put and cas, the same value) and no earlier time; a process
     * never has two operations open. An invoke never completed counts as info. Failed operations are dropped.
     *
     * @throws HistoryFormatException naming the line of the first problem
     */
    public PairedHistory pair() {
        record Open(int index, HistoryEvent invoke) {}
        Map<Long, Open> open = new HashMap<>();
        List<Operation> ops = new ArrayList<>();
        int failed = 0;
        for (int i = 0; i < events.size(); i++) {
            HistoryEvent e = events.get(i);
            int line = lines[i];
            if (e.type() == EventType.INVOKE) {
                Open prior = open.putIfAbsent(e.process(), new Open(i, e));
                if (prior != null) {
                    throw new HistoryFormatException(line, "process " + e.process() + " invokes " + e.f().jsonName()
                            + " on \"" + e.key() + "\" while its " + prior.invoke.f().jsonName() + " on \""
                            + prior.invoke.key() + "\" invoked at line " + lines[prior.index]
                            + " is still open (a process has one operation open at a time; after an info it "
                            + "continues as a new process)");
                }
                continue;
            }
            Open o = open.remove(e.process());
            if (o == null) {
                throw new HistoryFormatException(line, "process " + e.process() + " completes (" + e.type().jsonName()
                        + ") a " + e.f().jsonName() + " on \"" + e.key() + "\" but has no open invoke");
            }
            HistoryEvent inv = o.invoke;
            int invLine = lines[o.index];
            if (inv.f() != e.f() || !inv.key().equals(e.key())) {
                throw new HistoryFormatException(line, "process " + e.process() + " completes " + e.f().jsonName()
                        + " on \"" + e.key() + "\" but invoked " + inv.f().jsonName() + " on \"" + inv.key()
                        + "\" at line " + invLine);
            }
            if (e.time() < inv.time()) {
                throw new HistoryFormatException(line, "completion time " + e.time() + " is before its invoke time "
                        + inv.time() + " (line " + invLine + ")");
            }
            if ((e.f() == OpKind.PUT || e.f() == OpKind.CAS) && !e.call().equals(inv.call())) {
                throw new HistoryFormatException(line, "the completion's value " + valueJson(e.call())
                        + " differs from the invoke's " + valueJson(inv.call()) + " (line " + invLine + ")");
            }
            switch (e.type()) {
                case FAIL -> failed++;
                case OK -> ops.add(operation(inv, e.call().value(), e.time(), Operation.Status.OK, invLine));
                case INFO -> ops.add(operation(inv, inv.call().value(), Operation.NEVER, Operation.Status.INFO,
                        invLine));
                case INVOKE -> throw new IllegalStateException("handled above");
            }
        }
        for (Open o : open.values()) {
            ops.add(operation(o.invoke, o.invoke.call().value(), Operation.NEVER, Operation.Status.INFO,
                    lines[o.index]));
        }
        ops.sort(Comparator.comparingLong(Operation::invokeTime).thenComparingInt(Operation::line));
        List<Operation> numbered = new ArrayList<>(ops.size());
        for (Operation op : ops) {
            numbered.add(new Operation(numbered.size(), op.process(), op.f(), op.key(), op.expected(), op.value(),
                    op.invokeTime(), op.completeTime(), op.status(), op.line()));
        }
        return new PairedHistory(numbered, failed);
    }

    private static Operation operation(HistoryEvent invoke, String value, long complete, Operation.Status status,
            int line) {
        Call c = invoke.call();
        String v = c.f() == OpKind.GET && status == Operation.Status.INFO ? null : value;
        return new Operation(-1, invoke.process(), c.f(), c.key(), c.expected(), v, invoke.time(), complete,
                status, line);
    }

    private static String valueJson(Call c) {
        return c.f() == OpKind.CAS
                ? "[" + Operation.quote(c.expected()) + ", " + Operation.quote(c.value()) + "]"
                : Operation.quote(c.value());
    }

    @Override
    public String toString() {
        return "History[" + events.size() + " events]";
    }

    // ---------------------------------------------------------------------------------------------- building

    /** A builder for histories with explicit times (tests, generators). Not thread-safe. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a history from events with explicit times. {@link #build()} orders the events by time (stably), as a
     * recorder would have written them.
     */
    public static final class Builder {
        private final List<HistoryEvent> events = new ArrayList<>();

        private Builder() {}

        /** Appends one event. */
        public Builder add(HistoryEvent e) {
            events.add(Objects.requireNonNull(e));
            return this;
        }

        /** An invoke (a get's value is dropped: it has none at invoke). */
        public Builder invoke(long process, Call call, long time) {
            return add(new HistoryEvent(process, EventType.INVOKE, call.asInvoked(), time));
        }

        /** A completion of the given type. */
        public Builder complete(long process, EventType type, Call call, long time) {
            if (type == EventType.INVOKE) {
                throw new IllegalArgumentException("a completion is ok, fail or info");
            }
            return add(new HistoryEvent(process, type, call, time));
        }

        /** An operation that happened: its invoke and its ok ({@code call} carries a get's result). */
        public Builder ok(long process, Call call, long invokeTime, long completeTime) {
            return invoke(process, call, invokeTime).complete(process, EventType.OK, call, completeTime);
        }

        /** An operation that certainly did not happen. */
        public Builder fail(long process, Call call, long invokeTime, long completeTime) {
            return invoke(process, call.asInvoked(), invokeTime)
                    .complete(process, EventType.FAIL, call.asInvoked(), completeTime);
        }

        /** An operation whose outcome is unknown (recorded as info at {@code infoTime}). */
        public Builder info(long process, Call call, long invokeTime, long infoTime) {
            return invoke(process, call.asInvoked(), invokeTime)
                    .complete(process, EventType.INFO, call.asInvoked(), infoTime);
        }

        /** An invoke that never completed (treated like info). */
        public Builder pending(long process, Call call, long invokeTime) {
            return invoke(process, call, invokeTime);
        }

        /** The history, events ordered by time (stable, so an invoke stays before its completion at equal times). */
        public History build() {
            List<HistoryEvent> sorted = new ArrayList<>(events);
            sorted.sort(Comparator.comparingLong(HistoryEvent::time));
            return History.of(sorted);
        }
    }

    // ---------------------------------------------------------------------------------------------- recording

    /** A thread-safe recorder stamping events with {@link System#nanoTime()}, kept in memory. */
    public static Recorder recorder() {
        return new Recorder(System::nanoTime, null);
    }

    /** A thread-safe recorder with the given clock (monotonic nanoseconds), kept in memory. */
    public static Recorder recorder(LongSupplier clock) {
        return new Recorder(clock, null);
    }

    /**
     * A thread-safe recorder stamping events with {@link System#nanoTime()}, kept in memory and also written to
     * {@code file} line by line as they happen (so a crashed test still leaves its history); close it to flush.
     */
    public static Recorder recorder(Path file) throws IOException {
        return new Recorder(System::nanoTime, Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }

    /**
     * Records the operations of concurrent clients. Every method is thread-safe; the time is read under the
     * recorder's lock so that the recorded order is also the time order.
     */
    public static final class Recorder implements Closeable {
        private final LongSupplier clock;
        private final BufferedWriter sink;
        private final List<HistoryEvent> events = new ArrayList<>();
        private IOException sinkFailure;

        private Recorder(LongSupplier clock, Writer sink) {
            this.clock = Objects.requireNonNull(clock, "clock");
            this.sink = sink == null ? null : sink instanceof BufferedWriter b ? b : new BufferedWriter(sink);
        }

        /** Records that {@code process} invokes {@code call} now; returns the time recorded. */
        public long invoke(long process, Call call) {
            return record(process, EventType.INVOKE, call.asInvoked());
        }

        /** Records that the open operation of {@code process} happened; a get's {@code call} carries its result. */
        public long ok(long process, Call call) {
            return record(process, EventType.OK, call);
        }

        /** Records that the open operation of {@code process} certainly did not happen. */
        public long fail(long process, Call call) {
            return record(process, EventType.FAIL, call.asInvoked());
        }

        /** Records that the outcome is unknown; the client must continue under a new process number. */
        public long info(long process, Call call) {
            return record(process, EventType.INFO, call.asInvoked());
        }

        /** Appends an event with its own time. */
        public synchronized void append(HistoryEvent e) {
            events.add(Objects.requireNonNull(e));
            writeToSink(e);
        }

        private synchronized long record(long process, EventType type, Call call) {
            long now = clock.getAsLong();
            append(new HistoryEvent(process, type, call, now));
            return now;
        }

        private void writeToSink(HistoryEvent e) {
            if (sink == null || sinkFailure != null) {
                return;
            }
            try {
                writeLine(e, sink);
            } catch (IOException ex) {
                // Remembered and thrown by close(): a client thread recording an operation should not fail.
                sinkFailure = ex;
            }
        }

        /** A snapshot of everything recorded so far. */
        public synchronized History history() {
            return History.of(events);
        }

        /** Flushes the file, if any. */
        public synchronized void flush() throws IOException {
            if (sinkFailure != null) {
                throw sinkFailure;
            }
            if (sink != null) {
                sink.flush();
            }
        }

        /** Flushes and closes the file, if any; reports a write that failed earlier. */
        @Override
        public synchronized void close() throws IOException {
            if (sink != null) {
                sink.close();
            }
            if (sinkFailure != null) {
                throw sinkFailure;
            }
        }
    }
}
