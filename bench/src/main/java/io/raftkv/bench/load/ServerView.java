package io.raftkv.bench.load;

import io.raftkv.bench.load.target.ClusterSnapshot;
import io.raftkv.bench.load.target.NodeSnapshot;
import io.raftkv.bench.load.target.ServerFigure;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The server side's view of a cell, from the members' status before and after it: how far each member's commit
 * and apply moved, and the figures derived from its counters (entries per fsync and the like).
 *
 * @param seconds         between the two status readings
 * @param nodes           one entry per member that answered both times
 * @param missingCounters counters a figure needs that the leader does not expose, so that it is clear what the
 *                        server would have to add
 */
public record ServerView(double seconds, List<NodeView> nodes, List<String> missingCounters) {

    public ServerView {
        nodes = List.copyOf(nodes);
        missingCounters = List.copyOf(missingCounters);
    }

    /**
     * One member.
     *
     * @param id                 its id
     * @param role               its role afterwards
     * @param termBefore         its term before
     * @param termAfter          its term after
     * @param committed          how far its commit index moved
     * @param committedPerSecond the same per second
     * @param applied            how far its applied index moved
     * @param applyLag           the leader's commit index minus this member's applied index, afterwards
     * @param figures            the derived figures it has counters for, by name
     */
    public record NodeView(String id, String role, long termBefore, long termAfter, long committed,
                           double committedPerSecond, long applied, long applyLag, Map<String, Double> figures) {
        public NodeView {
            figures = Map.copyOf(figures);
        }
    }

    /** The view between two snapshots, with the figures of {@code figures}. */
    public static ServerView between(ClusterSnapshot before, ClusterSnapshot after, List<ServerFigure> figures) {
        double seconds = Math.max(1e-9, (after.takenAtNanos() - before.takenAtNanos()) / 1e9);
        long leaderCommit = after.leader().map(NodeSnapshot::commitIndex)
                .orElse(after.nodes().stream().mapToLong(NodeSnapshot::commitIndex).max().orElse(0));
        List<NodeView> nodes = new ArrayList<>();
        for (NodeSnapshot a : after.nodes()) {
            Optional<NodeSnapshot> b = before.node(a.id());
            if (b.isEmpty()) {
                continue;
            }
            Map<String, Double> values = new LinkedHashMap<>();
            for (ServerFigure f : figures) {
                OptionalDouble v = f.between(b.get().counters(), a.counters());
                if (v.isPresent()) {
                    values.put(f.name(), v.getAsDouble());
                }
            }
            long committed = a.commitIndex() - b.get().commitIndex();
            nodes.add(new NodeView(a.id(), a.role(), b.get().term(), a.term(), committed, committed / seconds,
                    a.appliedIndex() - b.get().appliedIndex(), Math.max(0, leaderCommit - a.appliedIndex()), values));
        }
        Set<String> missing = new LinkedHashSet<>();
        Map<String, Double> leaderCounters = after.leader().map(NodeSnapshot::counters).orElse(Map.of());
        for (ServerFigure f : figures) {
            for (String counter : List.of(f.numerator(), f.denominator())) {
                if (!leaderCounters.containsKey(counter)) {
                    missing.add(counter);
                }
            }
        }
        return new ServerView(seconds, nodes, new ArrayList<>(missing));
    }

    /** The view of the member that led afterwards, if it answered both times. */
    public Optional<NodeView> leader() {
        return nodes.stream().filter(n -> "leader".equals(n.role())).findFirst();
    }
}
