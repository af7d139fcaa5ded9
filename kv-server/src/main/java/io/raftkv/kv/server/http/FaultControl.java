package io.raftkv.kv.server.http;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Faults the HTTP API can inject into its node ({@code /v1/fault/...}), for tests and demos. Off unless the node
 * was started with fault injection enabled; the API then answers 403.
 */
public interface FaultControl {

    /** Which way an isolation cuts. */
    enum Direction { INBOUND, OUTBOUND, BOTH }

    /** Cuts this node off from {@code peers} (all peers if empty) in {@code direction}. */
    void isolate(Set<String> peers, Direction direction);

    /** Drops {@code percent} of the peer messages to and from {@code peers} (all if empty). */
    void drop(int percent, Set<String> peers);

    /** Delays {@code percent} of outgoing peer messages by {@code delay}. */
    void delay(Duration delay, int percent);

    /** Makes every disk sync take {@code delay} longer. */
    void slowDisk(Duration delay);

    /** Stalls the node's Raft loop for {@code duration}: it neither ticks nor handles messages meanwhile. */
    void pause(Duration duration);

    /** Exits the process at once, without any cleanup (as a crash would). */
    void crash();

    /** Removes every fault. */
    void heal();

    /** The faults in force, for {@code /v1/status}. */
    Map<String, Object> active();
}
