package io.raftkv.bench.load;

/** Which members the benchmark's connections go to. */
public enum NodeSelection {
    /** Only the leader, found from the members' status before the cell starts. */
    LEADER,
    /** Every member, connections spread round-robin (followers forward writes and serve reads). */
    ALL
}
