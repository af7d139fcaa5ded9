package io.raftkv.core.membership;

import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One single-server membership change (Raft dissertation, chapter 4): each adds, promotes or removes one
 * member, so the voters of the configuration before and after differ by at most one and any majority of one
 * overlaps any majority of the other.
 */
public sealed interface MembershipChange {

    /** The member this change is about. */
    NodeId member();

    /**
     * The configuration after this change, or a {@link Refusal} saying why it does not apply to
     * {@code current}.
     */
    Outcome applyTo(Configuration current);

    /** What {@link #applyTo} yields. */
    sealed interface Outcome permits Changed, Refusal {
    }

    /** The configuration the change leads to. */
    record Changed(Configuration configuration) implements Outcome {
    }

    /** The change does not apply; {@code reason} says why, for the operator. */
    record Refusal(String reason) implements Outcome {
    }

    /**
     * Adds a non-voting member, which receives the log (it may be promoted once it has caught up).
     *
     * @param address where the runtime reaches it (see {@link Configuration#addresses()}), or null
     */
    record AddLearner(NodeId member, String address) implements MembershipChange {
        public AddLearner {
            Objects.requireNonNull(member, "member");
            if (address != null) {
                Configuration.checkAddress(member, address);
            }
        }

        /** Adds {@code member} without an address. */
        public AddLearner(NodeId member) {
            this(member, null);
        }

        @Override
        public Outcome applyTo(Configuration current) {
            if (current.contains(member)) {
                return new Refusal(member + " is already a " + (current.isVoter(member) ? "voter" : "learner"));
            }
            Set<NodeId> learners = new HashSet<>(current.learners());
            learners.add(member);
            return new Changed(withAddress(new Configuration(current.voters(), learners, current.addresses()),
                    member, address));
        }
    }

    /**
     * Adds a voter directly. Until it has caught up the cluster needs one more member for a majority, so
     * adding a learner and promoting it once it is up to date is the gentler path.
     */
    record AddVoter(NodeId member, String address) implements MembershipChange {
        public AddVoter {
            Objects.requireNonNull(member, "member");
            if (address != null) {
                Configuration.checkAddress(member, address);
            }
        }

        /** Adds {@code member} without an address. */
        public AddVoter(NodeId member) {
            this(member, null);
        }

        @Override
        public Outcome applyTo(Configuration current) {
            if (current.isVoter(member)) {
                return new Refusal(member + " is already a voter");
            }
            if (current.contains(member)) {
                return new Refusal(member + " is a learner: promote it instead");
            }
            Set<NodeId> voters = new HashSet<>(current.voters());
            voters.add(member);
            return new Changed(withAddress(new Configuration(voters, current.learners(), current.addresses()),
                    member, address));
        }
    }

    /** Makes a learner a voter. */
    record PromoteLearner(NodeId member) implements MembershipChange {
        public PromoteLearner {
            Objects.requireNonNull(member, "member");
        }

        @Override
        public Outcome applyTo(Configuration current) {
            if (!current.learners().contains(member)) {
                return new Refusal(member + (current.isVoter(member) ? " is already a voter" : " is not a learner"));
            }
            Set<NodeId> voters = new HashSet<>(current.voters());
            Set<NodeId> learners = new HashSet<>(current.learners());
            learners.remove(member);
            voters.add(member);
            return new Changed(new Configuration(voters, learners, current.addresses()));
        }
    }

    /** Removes a voter or a learner (the leader itself included: it steps down once the change commits). */
    record RemoveMember(NodeId member) implements MembershipChange {
        public RemoveMember {
            Objects.requireNonNull(member, "member");
        }

        @Override
        public Outcome applyTo(Configuration current) {
            if (!current.contains(member)) {
                return new Refusal(member + " is not a member");
            }
            if (current.voters().size() == 1 && current.isVoter(member)) {
                return new Refusal(member + " is the last voter: a cluster needs at least one");
            }
            Set<NodeId> voters = new HashSet<>(current.voters());
            Set<NodeId> learners = new HashSet<>(current.learners());
            voters.remove(member);
            learners.remove(member);
            Map<NodeId, String> addresses = new HashMap<>(current.addresses());
            addresses.remove(member);
            return new Changed(new Configuration(voters, learners, addresses));
        }
    }

    private static Configuration withAddress(Configuration c, NodeId member, String address) {
        return address == null ? c : c.withAddress(member, address);
    }
}
