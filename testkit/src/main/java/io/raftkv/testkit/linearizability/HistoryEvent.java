package io.raftkv.testkit.linearizability;

import java.util.Objects;

/**
 * One line of a history: {@code {"process":3,"type":"invoke","f":"cas","key":"k7","value":["a","b"],"time":1}}.
 *
 * @param process the logical client; never two operations open at once
 * @param type invoke, ok, fail or info
 * @param call f, key and value (a cas's {@code [expected, new]} is split into {@link Call#expected()} and
 *     {@link Call#value()})
 * @param time monotonic nanoseconds
 */
public record HistoryEvent(long process, EventType type, Call call, long time) {

    public HistoryEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(call, "call");
    }

    /** The operation kind. */
    public OpKind f() {
        return call.f();
    }

    /** The key. */
    public String key() {
        return call.key();
    }
}
