package io.raftkv.transport;

import io.raftkv.core.NodeId;
import io.raftkv.core.message.RaftMessage;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Carries {@link RaftMessage}s between the members of one Raft group. This is all the runtime sees of the
 * network.
 *
 * <p>Delivery is best effort, as Raft assumes: a message may be lost (peer unreachable, connection lost, the
 * peer's queue over its bound), but it is never corrupted, never delivered twice, never attributed to the wrong
 * sender, and the messages one thread sends to one peer on one lane arrive in the order sent (see {@link Lane}:
 * appends stay in order among themselves, while a heartbeat may overtake them). Inbound messages go
 * to the handler given to the implementation at construction; it is called on I/O threads, concurrently for
 * different connections, and must not block (the runtime enqueues and returns).
 *
 * <p>Lifecycle: construct, {@link #start()}, use, {@link #close()}.
 */
public interface RaftTransport extends AutoCloseable {

    /**
     * Binds the listening socket and starts dialling the peers.
     *
     * @throws IllegalStateException if the transport was already started or closed, or the address cannot be bound
     */
    void start();

    /**
     * Queues {@code message} for {@code message.to()} and returns at once. Never blocks and never throws for
     * network trouble: if the peer is unreachable or its queue is over its byte bound, the message is dropped and
     * counted in {@link PeerStats#droppedMessages()}. A message to a node that is neither a configured peer nor
     * a learned one (see {@link #acceptUnconfiguredPeers}) is dropped as well, without being counted anywhere
     * (membership may have just changed).
     *
     * @throws IllegalArgumentException if the message is not from this node or is addressed to it (a bug in the
     *                                  caller, not a network condition)
     */
    void send(RaftMessage message);

    /**
     * Replaces the set of peers (for example after binding ephemeral ports, or after a membership change):
     * connections to removed peers and their inbound connections are closed, new peers are dialled, a peer whose
     * address changed is redialled. An entry for this node itself is ignored. Peers learned while
     * {@linkplain #acceptUnconfiguredPeers accepting unconfigured peers} are kept in addition, except those the
     * new map names: its address wins.
     */
    void updatePeers(Map<NodeId, InetSocketAddress> peers);

    /**
     * Whether to accept connections from nodes of this cluster that are not configured peers; off until called.
     *
     * <p>While on, a Hello of this cluster and protocol version from a node that is not a configured peer is
     * accepted (never one claiming to be this node), its messages are delivered, and if it advertises a valid
     * address the transport <em>learns</em> the peer: it dials that address, so that {@link #send} to the node
     * works, and redials if a later Hello advertises another address (the node restarted on another port). A
     * configured address always wins over a learned one. Switching it off drops the learned peers that are not
     * configured, as {@link #updatePeers} drops a removed peer: their links and inbound connections are closed
     * and their Hellos refused again.
     *
     * <p>For a node that is not yet a member of any configuration: it must answer the leader that adds it, whose
     * address it does not know.
     */
    void acceptUnconfiguredPeers(boolean accept);

    /** The address actually bound (with the real port when configured with port 0). Only after {@link #start()}. */
    InetSocketAddress localAddress();

    /** Per-peer outbound statistics, for every configured or learned peer. */
    Map<NodeId, PeerStats> stats();

    /** Closes every connection and releases the I/O threads. Idempotent. Must not be called from an I/O thread. */
    @Override
    void close();
}
