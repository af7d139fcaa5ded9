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
}
