package io.raftkv.core.message;

import io.raftkv.core.NodeId;
import java.util.List;

/**
 * A follower hands commands proposed to it to the leader, so that clients may write through any node.
 *
 * @param forwardId the follower's id for this forward, echoed in the {@link ProposalForwardResponse}
 * @param commands  the commands, to be appended in order; the arrays must not be modified
 */
public record ProposalForward(NodeId from, NodeId to, long term, long forwardId, List<byte[]> commands)
        implements RaftMessage {

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ProposalForward f) || !f.from.equals(from) || !f.to.equals(to) || f.term != term
                || f.forwardId != forwardId || f.commands.size() != commands.size()) {
            return false;
        }
        for (int i = 0; i < commands.size(); i++) {
            if (!java.util.Arrays.equals(commands.get(i), f.commands.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = java.util.Objects.hash(from, to, term, forwardId);
        for (byte[] c : commands) {
            h = h * 31 + java.util.Arrays.hashCode(c);
        }
        return h;
    }
}
