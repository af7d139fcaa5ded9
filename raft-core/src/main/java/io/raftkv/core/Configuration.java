package io.raftkv.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Cluster membership: the voters, whose majority decides elections and commitment, and the learners, who
 * receive the log but do not count.
 *
 * @param voters   the voting members (never empty for a running cluster)
 * @param learners the non-voting members, disjoint from {@code voters}
 */
public record Configuration(Set<NodeId> voters, Set<NodeId> learners) {

    public Configuration {
        voters = Collections.unmodifiableSet(new TreeSet<>(Objects.requireNonNull(voters, "voters")));
        learners = Collections.unmodifiableSet(new TreeSet<>(Objects.requireNonNull(learners, "learners")));
        for (NodeId l : learners) {
            if (voters.contains(l)) {
                throw new IllegalArgumentException("node " + l + " cannot be both voter and learner");
            }
        }
    }

    /** A configuration of voters only. */
    public static Configuration ofVoters(NodeId... voters) {
        return new Configuration(Set.of(voters), Set.of());
    }

    /** A configuration of voters only, given as strings. */
    public static Configuration ofVoters(String... voters) {
        Set<NodeId> ids = new TreeSet<>();
        for (String v : voters) {
            ids.add(NodeId.of(v));
        }
        return new Configuration(ids, Set.of());
    }

    /** True if {@code id} is a voter or a learner. */
    public boolean contains(NodeId id) {
        return voters.contains(id) || learners.contains(id);
    }

    /** True if {@code id} votes. */
    public boolean isVoter(NodeId id) {
        return voters.contains(id);
    }

    /** Every member, voters first, each group in id order. */
    public List<NodeId> members() {
        List<NodeId> all = new ArrayList<>(voters);
        all.addAll(learners);
        return all;
    }

    /** How many voters make a majority. */
    public int quorum() {
        return voters.size() / 2 + 1;
    }
}
