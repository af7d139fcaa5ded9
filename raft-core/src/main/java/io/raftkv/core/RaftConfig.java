package io.raftkv.core;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of one Raft node. Every default is the safe one; time is counted in ticks, whose length the
 * runtime chooses.
 *
 * @param id                  this node's id
 * @param electionTicks       a follower that hears from no leader for a random time in
 *                            {@code [electionTicks, 2 * electionTicks)} starts an election; a leader with check-quorum
 *                            steps down if it has not heard from a majority within {@code electionTicks}
 * @param heartbeatTicks      a leader sends heartbeats every {@code heartbeatTicks}; must be below {@code electionTicks}
 * @param preVote             ask for pre-votes before starting an election, so a node that cannot win (for example,
 *                            one rejoining after a partition) does not raise terms and depose a healthy leader
 * @param checkQuorum         a leader steps down when it cannot reach a majority for an election timeout, and
 *                            followers that hear from a leader ignore vote requests (the lease that makes pre-vote stick)
 * @param maxAppendBytes      most entry bytes in one AppendEntries message (one entry is always allowed)
 * @param maxInflightAppends  most AppendEntries in flight to one follower before the leader waits for answers
 * @param maxInflightBytes    most entry bytes in flight to one follower
 * @param maxUncommittedBytes most entry bytes a leader holds uncommitted; proposals beyond it are refused as
 *                            {@link ProposalResult.Overloaded}
 * @param maxApplyBytes       most entry bytes handed out for applying in one {@link Ready}
 * @param leaseReads          let the leader serve reads from a lease (see {@link RaftNode#leaseRead}); needs
 *                            {@code checkQuorum}. A node then also refuses to vote during its first election timeout
 *                            after starting, so a quickly restarted follower cannot help elect a new leader while the
 *                            old leader's lease may still run
 * @param disabledMechanisms  mechanisms switched off to prove the tests depend on them; always empty in production
 */
public record RaftConfig(NodeId id, int electionTicks, int heartbeatTicks, boolean preVote, boolean checkQuorum,
                         boolean leaseReads,
                         long maxAppendBytes, int maxInflightAppends, long maxInflightBytes,
                         long maxUncommittedBytes, long maxApplyBytes, Set<Mechanism> disabledMechanisms) {

    public RaftConfig {
        Objects.requireNonNull(id, "id");
        if (heartbeatTicks < 1) {
            throw new IllegalArgumentException("heartbeatTicks must be >= 1, got " + heartbeatTicks);
        }
        if (electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("electionTicks (" + electionTicks
                    + ") must be greater than heartbeatTicks (" + heartbeatTicks + ")");
        }
        if (leaseReads && !checkQuorum) {
            throw new IllegalArgumentException("leaseReads needs checkQuorum: the lease rests on followers "
                    + "ignoring candidates while they hear from a leader");
        }
        if (leaseReads && electionTicks < 2 + LEASE_MARGIN_TICKS) {
            throw new IllegalArgumentException("leaseReads needs electionTicks >= " + (2 + LEASE_MARGIN_TICKS));
        }
        positive("maxAppendBytes", maxAppendBytes);
        positive("maxInflightAppends", maxInflightAppends);
        positive("maxInflightBytes", maxInflightBytes);
        positive("maxUncommittedBytes", maxUncommittedBytes);
        positive("maxApplyBytes", maxApplyBytes);
        disabledMechanisms = disabledMechanisms.isEmpty() ? Set.of() : Set.copyOf(disabledMechanisms);
    }

    /**
     * Ticks by which a lease ends before the followers' election timeout: one for tick granularity, one for
     * clock drift. With 10 election ticks, tick rates may differ by about 12% before a lease read could be stale.
     */
    public static final int LEASE_MARGIN_TICKS = 2;

    private static void positive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }

    /** A builder with the defaults. */
    public static Builder builder(NodeId id) {
        return new Builder(id);
    }

    /** A builder with the defaults. */
    public static Builder builder(String id) {
        return new Builder(NodeId.of(id));
    }

    /** True unless the mechanism was switched off for a test. */
    public boolean enabled(Mechanism mechanism) {
        return !disabledMechanisms.contains(mechanism);
    }

    /** Builds a {@link RaftConfig}; see the record components for the meaning of each setting. */
    public static final class Builder {
        private final NodeId id;
        private int electionTicks = 10;
        private int heartbeatTicks = 1;
        private boolean preVote = true;
        private boolean checkQuorum = true;
        private boolean leaseReads = false;
        private long maxAppendBytes = 1 << 20;
        private int maxInflightAppends = 64;
        private long maxInflightBytes = 32L << 20;
        private long maxUncommittedBytes = 64L << 20;
        private long maxApplyBytes = 4L << 20;
        private final Set<Mechanism> disabled = EnumSet.noneOf(Mechanism.class);

        private Builder(NodeId id) {
            this.id = id;
        }

        public Builder electionTicks(int v) {
            electionTicks = v;
            return this;
        }

        public Builder heartbeatTicks(int v) {
            heartbeatTicks = v;
            return this;
        }

        public Builder preVote(boolean v) {
            preVote = v;
            return this;
        }

        public Builder checkQuorum(boolean v) {
            checkQuorum = v;
            return this;
        }

        public Builder leaseReads(boolean v) {
            leaseReads = v;
            return this;
        }

        public Builder maxAppendBytes(long v) {
            maxAppendBytes = v;
            return this;
        }

        public Builder maxInflightAppends(int v) {
            maxInflightAppends = v;
            return this;
        }

        public Builder maxInflightBytes(long v) {
            maxInflightBytes = v;
            return this;
        }

        public Builder maxUncommittedBytes(long v) {
            maxUncommittedBytes = v;
            return this;
        }

        public Builder maxApplyBytes(long v) {
            maxApplyBytes = v;
            return this;
        }

        /** Switches a mechanism off. Unsafe: for tests that prove a scenario depends on the mechanism. */
        public Builder unsafelyDisableForTesting(Mechanism m) {
            disabled.add(m);
            return this;
        }

        public RaftConfig build() {
            return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, leaseReads, maxAppendBytes,
                    maxInflightAppends, maxInflightBytes, maxUncommittedBytes, maxApplyBytes, disabled);
        }
    }
}
