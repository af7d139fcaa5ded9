package io.raftkv.bench.load;

import java.util.Objects;

/**
 * One benchmark configuration, one row of the report.
 *
 * @param id       a short name, e.g. "1.put-c64-leader" for the issue-8 matrix or "custom"
 * @param workload what the clients do
 * @param load     how many clients, how fast, how long
 * @param nodes    which members they connect to
 */
public record Cell(String id, Workload workload, LoadShape load, NodeSelection nodes) {

    public Cell {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(load, "load");
        Objects.requireNonNull(nodes, "nodes");
    }

    /** For reports: "put k8 v256, 64 clients, leader" (plus the rate for an open loop). */
    public String describe() {
        return workload.label() + " k" + workload.keys().keyBytes() + " v" + workload.valueBytes() + ", "
                + load.clients() + (load.clients() == 1 ? " client" : " clients")
                + (load.openLoop() ? " at " + Math.round(load.ratePerSecond()) + "/s" : "") + ", "
                + (nodes == NodeSelection.LEADER ? "leader" : "all members");
    }
}
