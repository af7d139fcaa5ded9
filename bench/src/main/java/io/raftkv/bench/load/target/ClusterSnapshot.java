package io.raftkv.bench.load.target;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every member's view at one moment, taken before and after each benchmark cell.
 *
 * @param takenAtNanos {@link System#nanoTime()} when it was taken
 * @param nodes        the members that answered
 * @param unreachable  the endpoints that did not, with why
 */
public record ClusterSnapshot(long takenAtNanos, List<NodeSnapshot> nodes, Map<String, String> unreachable) {

    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        unreachable = Map.copyOf(unreachable);
    }

    /** The member that says it leads in the highest term, if any. */
    public Optional<NodeSnapshot> leader() {
        return nodes.stream().filter(NodeSnapshot::isLeader).max(Comparator.comparingLong(NodeSnapshot::term));
    }

    /** The member with this id, if it answered. */
    public Optional<NodeSnapshot> node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
    }

    /**
     * True when {@code expected} members answered, one of them leads, and every one names that leader: the state
     * a cell may start in.
     */
    public boolean settled(int expected) {
        Optional<NodeSnapshot> leader = leader();
        return nodes.size() >= expected && leader.isPresent()
                && nodes.stream().allMatch(n -> Objects.equals(n.leaderId(), leader.get().id()));
    }
}
