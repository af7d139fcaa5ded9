package io.raftkv.kv.client;

import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * The status of every configured endpoint.
 *
 * @param nodes    the endpoints that answered, with their status
 * @param failures the endpoints that did not, with why
 */
public record ClusterStatus(Map<Endpoint, NodeStatus> nodes, Map<Endpoint, KvClientException> failures) {

    public ClusterStatus {
        nodes = Map.copyOf(nodes);
        failures = Map.copyOf(failures);
    }

    /** The endpoint of the node that says it leads in the highest term, if any does. */
    public Optional<Endpoint> leader() {
        return nodes.entrySet().stream()
                .filter(e -> e.getValue().isLeader())
                .max(Comparator.comparingLong(e -> e.getValue().term()))
                .map(Map.Entry::getKey);
    }
}
