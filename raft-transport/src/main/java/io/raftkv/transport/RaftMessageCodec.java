package io.raftkv.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.NodeId;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.HeartbeatRequest;
import io.raftkv.core.message.HeartbeatResponse;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.ProposalForward;
import io.raftkv.core.message.ProposalForwardResponse;
import io.raftkv.core.message.SnapshotChunk;
import io.raftkv.core.message.SnapshotChunkAck;
import io.raftkv.transport.proto.ProposalForwardMsg;
import io.raftkv.transport.proto.ProposalForwardResponseMsg;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import io.raftkv.transport.proto.AppendEntriesRequestMsg;
import io.raftkv.transport.proto.AppendEntriesResponseMsg;
import io.raftkv.transport.proto.EntryKind;
import io.raftkv.transport.proto.EntryMsg;
import io.raftkv.transport.proto.Envelope;
import io.raftkv.transport.proto.HeartbeatRequestMsg;
import io.raftkv.transport.proto.HeartbeatResponseMsg;
import io.raftkv.transport.proto.Hello;
import io.raftkv.transport.proto.InstallSnapshotRequestMsg;
import io.raftkv.transport.proto.SnapshotChunkAckMsg;
import io.raftkv.transport.proto.SnapshotChunkMsg;
import io.raftkv.transport.proto.SnapshotMetaMsg;
import io.raftkv.transport.proto.ReadIndexRequestMsg;
import io.raftkv.transport.proto.ReadIndexResponseMsg;
import io.raftkv.transport.proto.TimeoutNowMsg;
import io.raftkv.transport.proto.VoteRequestMsg;
import io.raftkv.transport.proto.VoteResponseMsg;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates {@link RaftMessage}s to and from the wire {@link Envelope}, and validates everything that arrives.
 *
 * <p>Decoding trusts nothing: terms and indices must fit a non-negative {@code long}, entries must be
 * consecutive from {@code prevLogIndex + 1} with terms that never decrease and never exceed the message's term,
 * node ids must be valid, the message must be addressed to this node and come from the peer the connection
 * authenticated as. Any violation is a {@link MalformedMessageException} whose text says which rule broke. Sizes
 * are never trusted either: nothing is allocated from a count or length read off the wire before the bytes it
 * describes have been seen (Protocol Buffers checks declared lengths against the frame).
 *
 * <p>Immutable and thread-safe.
 */
public final class RaftMessageCodec {

    private static final Logger log = LoggerFactory.getLogger(RaftMessageCodec.class);

    /** The protocol version this code speaks; see docs/transport.md for the rules on changing it. */
    public static final int PROTOCOL_VERSION = 1;

    /**
     * Largest first frame accepted on a connection. A Hello is a few hundred bytes at most, so an unauthenticated
     * client can make the server buffer no more than this.
     */
    public static final int MAX_HELLO_BYTES = 1024;

    /** Longest advertised peer address ({@code host:port}) accepted in a Hello. */
    public static final int MAX_ADDRESS_LENGTH = 255;

    /**
     * Who dialled, which of its lanes the connection is, and where it says it can be dialled back.
     *
     * @param peer    the authenticated node id; every later message on the connection must be from it
     * @param lane    which of the peer's two connections this is
     * @param address the address the peer advertised in its Hello, or {@code null} if it sent none (a node that
     *                predates the field) or one that is not a valid {@code host:port}. A claim, like the node id:
     *                nothing has checked that the peer really listens there
     */
    public record Handshake(NodeId peer, Lane lane, InetSocketAddress address) {

        public Handshake {
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(lane, "lane");
        }

        /** Whether {@code other} is a connection of the same peer and lane, whatever address either advertised. */
        boolean sameConnectionAs(Handshake other) {
            return peer.equals(other.peer) && lane == other.lane;
        }
    }

    private final String clusterId;
    private final NodeId self;

    /**
     * @param clusterId the cluster this node belongs to; envelopes of any other cluster are refused
     * @param self      this node: every decoded message must be addressed to it
     */
    public RaftMessageCodec(String clusterId, NodeId self) {
        this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
        this.self = Objects.requireNonNull(self, "self");
    }

    // ------------------------------------------------------------------------------------------------ encoding

    /**
     * The first frame this node sends on a connection of the given lane.
     *
     * @param advertised where this node's transport listens (the bound address, with the real port), so that a
     *                   peer that has no address for this node can dial it back; see
     *                   {@link NettyRaftTransport#acceptUnconfiguredPeers}
     * @throws IllegalArgumentException if {@code advertised} has no port or formats to more than
     *                                  {@link #MAX_ADDRESS_LENGTH} characters
     */
    public Envelope hello(Lane lane, InetSocketAddress advertised) {
        Hello hello = Hello.newBuilder()
                .setClusterId(clusterId)
                .setNodeId(self.value())
                .setVersion(PROTOCOL_VERSION)
                .setLane(lane == Lane.CONTROL ? io.raftkv.transport.proto.Lane.LANE_CONTROL
                        : io.raftkv.transport.proto.Lane.LANE_BULK)
                .setAddress(formatAddress(advertised))
                .build();
        return envelope().setHello(hello).build();
    }

    /** The envelope carrying {@code message}. Entry payloads are wrapped, not copied. */
    public Envelope encode(RaftMessage message) {
        Envelope.Builder env = envelope();
        if (message instanceof VoteRequest m) {
            env.setVoteRequest(VoteRequestMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setLastLogIndex(m.lastLogIndex()).setLastLogTerm(m.lastLogTerm())
                    .setPreVote(m.preVote()).setLeadershipTransfer(m.leadershipTransfer()));
        } else if (message instanceof VoteResponse m) {
            env.setVoteResponse(VoteResponseMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setPreVote(m.preVote()).setGranted(m.granted()));
        } else if (message instanceof AppendEntriesRequest m) {
            AppendEntriesRequestMsg.Builder b = AppendEntriesRequestMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setPrevLogIndex(m.prevLogIndex()).setPrevLogTerm(m.prevLogTerm())
                    .setLeaderCommit(m.leaderCommit());
            for (Entry e : m.entries()) {
                // Entry payloads are immutable by contract (see Entry), so wrapping instead of copying is safe
                // and keeps a queued append from duplicating the log in memory.
                b.addEntries(EntryMsg.newBuilder()
                        .setIndex(e.index()).setTerm(e.term())
                        .setKind(switch (e.type()) {
                            case COMMAND -> EntryKind.ENTRY_KIND_COMMAND;
                            case NOOP -> EntryKind.ENTRY_KIND_NOOP;
                            case CONFIGURATION -> EntryKind.ENTRY_KIND_CONFIGURATION;
                        })
                        .setData(UnsafeByteOperations.unsafeWrap(e.data())));
            }
            env.setAppendEntriesRequest(b);
        } else if (message instanceof AppendEntriesResponse m) {
            env.setAppendEntriesResponse(AppendEntriesResponseMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setSuccess(m.success()).setMatchIndex(m.matchIndex()).setRejectedIndex(m.rejectedIndex())
                    .setHintIndex(m.hintIndex()).setHintTerm(m.hintTerm()));
        } else if (message instanceof HeartbeatRequest m) {
            env.setHeartbeatRequest(HeartbeatRequestMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setCommit(m.commit()).setReadRound(m.readRound()));
        } else if (message instanceof HeartbeatResponse m) {
            env.setHeartbeatResponse(HeartbeatResponseMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setReadRound(m.readRound()));
        } else if (message instanceof TimeoutNow m) {
            env.setTimeoutNow(TimeoutNowMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term()));
        } else if (message instanceof ReadIndexRequest m) {
            env.setReadIndexRequest(ReadIndexRequestMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setRequestId(m.requestId()));
        } else if (message instanceof ReadIndexResponse m) {
            env.setReadIndexResponse(ReadIndexResponseMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setRequestId(m.requestId()).setReadIndex(m.readIndex()).setSuccess(m.success()));
        } else if (message instanceof ProposalForward m) {
            ProposalForwardMsg.Builder b = ProposalForwardMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term()).setForwardId(m.forwardId());
            for (byte[] c : m.commands()) {
                b.addCommands(com.google.protobuf.ByteString.copyFrom(c));
            }
            env.setProposalForward(b);
        } else if (message instanceof ProposalForwardResponse m) {
            env.setProposalForwardResponse(ProposalForwardResponseMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term()).setForwardId(m.forwardId())
                    .setRefusal(m.refusal()).setFirstIndex(m.firstIndex()).setLastIndex(m.lastIndex())
                    .setProposalTerm(m.proposalTerm()));
        } else if (message instanceof InstallSnapshotRequest m) {
            env.setInstallSnapshotRequest(InstallSnapshotRequestMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setSnapshot(snapshotMeta(m.snapshot())));
        } else if (message instanceof SnapshotChunk m) {
            env.setSnapshotChunk(SnapshotChunkMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setSnapshot(snapshotMeta(m.snapshot())).setTotalBytes(m.totalBytes())
                    .setTotalCrc((int) m.totalCrc()).setOffset(m.offset())
                    .setData(UnsafeByteOperations.unsafeWrap(m.data())).setCrc((int) m.crc()));
        } else if (message instanceof SnapshotChunkAck m) {
            SnapshotChunkAckMsg.Builder b = SnapshotChunkAckMsg.newBuilder()
                    .setFrom(m.from().value()).setTo(m.to().value()).setTerm(m.term())
                    .setSnapshotIndex(m.snapshotIndex()).setNextOffset(m.nextOffset());
            if (m.refusal() != null) {
                b.setRefusal(m.refusal());
            }
            env.setSnapshotChunkAck(b);
        } else {
            // Unreachable while RaftMessage is sealed; a new permitted type must be added here and to raft.proto.
            throw new IllegalArgumentException("no wire encoding for " + message.getClass().getName());
        }
        return env.build();
    }

    private Envelope.Builder envelope() {
        return Envelope.newBuilder().setVersion(PROTOCOL_VERSION).setClusterId(clusterId);
    }

    // ------------------------------------------------------------------------------------------------ decoding

    /**
     * Parses one frame's payload. Checks only that it is a well-formed envelope; {@link #acceptHello} and
     * {@link #decode} check what it says.
     */
    public Envelope parse(ByteBuffer frame) throws MalformedMessageException {
        try {
            return Envelope.parseFrom(frame);
        } catch (InvalidProtocolBufferException e) {
            throw new MalformedMessageException("frame is not a valid envelope: " + e.getMessage(), e);
        }
    }

    /**
     * Checks the first envelope of a connection: it must be a Hello of this cluster and protocol version, from a
     * node for which {@code isKnownPeer} holds (never this node itself). An advertised address that does not
     * parse (see {@link #parseAddress}) does not refuse the Hello: it is logged and left out of the handshake.
     */
    public Handshake acceptHello(Envelope env, Predicate<NodeId> isKnownPeer) throws HandshakeRejectedException {
        if (env.getBodyCase() != Envelope.BodyCase.HELLO) {
            throw new HandshakeRejectedException("first frame must be a Hello, got " + bodyName(env));
        }
        Hello hello = env.getHello();
        if (env.getVersion() != PROTOCOL_VERSION || hello.getVersion() != PROTOCOL_VERSION) {
            int theirs = env.getVersion() != PROTOCOL_VERSION ? env.getVersion() : hello.getVersion();
            throw new HandshakeRejectedException("unsupported protocol version " + Integer.toUnsignedString(theirs)
                    + " (this node speaks " + PROTOCOL_VERSION + ")");
        }
        if (!clusterId.equals(hello.getClusterId()) || !clusterId.equals(env.getClusterId())) {
            throw new HandshakeRejectedException("cluster id " + quote(hello.getClusterId())
                    + " does not match this node's " + quote(clusterId));
        }
        NodeId peer;
        try {
            peer = nodeId(hello.getNodeId(), "hello");
        } catch (MalformedMessageException e) {
            throw new HandshakeRejectedException(e.getMessage());
        }
        if (peer.equals(self)) {
            throw new HandshakeRejectedException("peer claims to be this node (" + self + ")");
        }
        if (!isKnownPeer.test(peer)) {
            throw new HandshakeRejectedException("node id " + peer + " is not a configured peer");
        }
        Lane lane = switch (hello.getLane()) {
            case LANE_CONTROL -> Lane.CONTROL;
            case LANE_BULK -> Lane.BULK;
            default -> throw new HandshakeRejectedException("hello names no valid lane ("
                    + hello.getLaneValue() + ")");
        };
        return new Handshake(peer, lane, advertisedAddress(hello, peer));
    }

    private static InetSocketAddress advertisedAddress(Hello hello, NodeId peer) {
        String raw = hello.getAddress();
        if (raw.isEmpty()) {
            return null; // a node that predates the field
        }
        try {
            return parseAddress(raw);
        } catch (IllegalArgumentException e) {
            // Not worth refusing the connection: the address only matters to a node that does not know the peer
            // (which then cannot answer it), and a configured peer is dialled at its configured address anyway.
            log.warn("Hello from {} advertises an unusable address {}: {}; ignoring the address", peer, quote(raw),
                    e.getMessage());
            return null;
        }
    }

    // ----------------------------------------------------------------------------------------- peer addresses

    /**
     * An address as a Hello advertises it: {@code host:port} with the IP address as host, IPv6 in brackets
     * ({@code [::1]:7000}), or the host name of an unresolved address. The inverse of {@link #parseAddress}.
     *
     * @throws IllegalArgumentException if the port is 0 or the result is longer than {@link #MAX_ADDRESS_LENGTH}
     */
    static String formatAddress(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address.getPort() == 0) {
            throw new IllegalArgumentException("cannot advertise port 0 (" + address + "): use the bound address");
        }
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString()
                : ip instanceof Inet6Address ? "[" + NetUtil.toAddressString(ip) + "]" : ip.getHostAddress();
        String formatted = host + ":" + address.getPort();
        if (formatted.length() > MAX_ADDRESS_LENGTH) {
            throw new IllegalArgumentException("advertised address is longer than " + MAX_ADDRESS_LENGTH
                    + " characters: " + quote(formatted));
        }
        return formatted;
    }

    /**
     * Parses an advertised address strictly: {@code host:port} with a port from 1 to 65535 in plain decimal, at
     * most {@link #MAX_ADDRESS_LENGTH} characters. The host is a dotted-quad IPv4 address, a bracketed IPv6
     * address without zone, or a DNS host name (letters, digits and hyphens in dot-separated labels, not all
     * digits). IP literals become resolved addresses; a host name stays unresolved, so nothing here waits for DNS
     * (it is resolved when dialled).
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static InetSocketAddress parseAddress(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty() || text.length() > MAX_ADDRESS_LENGTH) {
            throw new IllegalArgumentException("address must be 1 to " + MAX_ADDRESS_LENGTH + " characters, got "
                    + text.length());
        }
        String host;
        String port;
        if (text.charAt(0) == '[') {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("IPv6 address must be written [address]:port");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
            // Only hex digits, colons and dots (an embedded IPv4 tail): no zone ids, nothing else for
            // NetUtil to be lenient about.
            if (host.indexOf(':') < 0 || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':'
                    || c == '.') || !NetUtil.isValidIpV6Address(host)) {
                throw new IllegalArgumentException("not an IPv6 address in brackets");
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("no port (expected host:port)");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("an IPv6 address must be in brackets: [address]:port");
            }
            if (!NetUtil.isValidIpV4Address(host) && !isHostName(host)) {
                throw new IllegalArgumentException("host is neither an IPv4 address nor a host name");
            }
        }
        int portNumber = parsePort(port);
        if (host.indexOf(':') < 0 && !NetUtil.isValidIpV4Address(host)) {
            return InetSocketAddress.createUnresolved(host, portNumber);
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP address");
        }
        try {
            // From the raw bytes: no lookup, not even a reverse one.
            return new InetSocketAddress(InetAddress.getByAddress(bytes), portNumber);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address", e); // only for a wrong byte count
        }
    }

    private static int parsePort(String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port must be a decimal number from 1 to 65535");
        }
        int value = Integer.parseInt(port);
        if (value < 1 || value > 65535) {
            throw new IllegalArgumentException("port " + value + " is not between 1 and 65535");
        }
        return value;
    }

    /** RFC 1123 host name; all-numeric names are refused so that "1.2.3" is never read as an IPv4 shorthand. */
    private static boolean isHostName(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return false;
        }
        boolean hasLetter = false;
        for (String label : host.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.charAt(0) == '-'
                    || label.charAt(label.length() - 1) == '-') {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                if (!letter && !(c >= '0' && c <= '9') && c != '-') {
                    return false;
                }
                hasLetter |= letter;
            }
        }
        return hasLetter;
    }

    /**
     * The message in an envelope that arrived on a connection authenticated as {@code peer}.
     *
     * @throws MalformedMessageException if anything about it is invalid; the connection must then be closed
     */
    public RaftMessage decode(Envelope env, NodeId peer) throws MalformedMessageException {
        if (env.getVersion() != PROTOCOL_VERSION) {
            throw new MalformedMessageException("envelope has protocol version "
                    + Integer.toUnsignedString(env.getVersion()) + ", the connection agreed on " + PROTOCOL_VERSION);
        }
        if (!clusterId.equals(env.getClusterId())) {
            throw new MalformedMessageException("envelope has cluster id " + quote(env.getClusterId())
                    + ", expected " + quote(clusterId));
        }
        switch (env.getBodyCase()) {
            case VOTE_REQUEST: {
                VoteRequestMsg m = env.getVoteRequest();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                long lastLogIndex = nonNegative(m.getLastLogIndex(), "lastLogIndex");
                long lastLogTerm = atMostTerm(nonNegative(m.getLastLogTerm(), "lastLogTerm"), "lastLogTerm", h);
                return new VoteRequest(h.from, h.to, h.term, lastLogIndex, lastLogTerm, m.getPreVote(),
                        m.getLeadershipTransfer());
            }
            case VOTE_RESPONSE: {
                VoteResponseMsg m = env.getVoteResponse();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new VoteResponse(h.from, h.to, h.term, m.getPreVote(), m.getGranted());
            }
            case APPEND_ENTRIES_REQUEST:
                return decodeAppend(env.getAppendEntriesRequest(), peer);
            case APPEND_ENTRIES_RESPONSE: {
                AppendEntriesResponseMsg m = env.getAppendEntriesResponse();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new AppendEntriesResponse(h.from, h.to, h.term, m.getSuccess(),
                        nonNegative(m.getMatchIndex(), "matchIndex"),
                        nonNegative(m.getRejectedIndex(), "rejectedIndex"),
                        nonNegative(m.getHintIndex(), "hintIndex"),
                        atMostTerm(nonNegative(m.getHintTerm(), "hintTerm"), "hintTerm", h));
            }
            case HEARTBEAT_REQUEST: {
                HeartbeatRequestMsg m = env.getHeartbeatRequest();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new HeartbeatRequest(h.from, h.to, h.term, nonNegative(m.getCommit(), "commit"),
                        nonNegative(m.getReadRound(), "readRound"));
            }
            case HEARTBEAT_RESPONSE: {
                HeartbeatResponseMsg m = env.getHeartbeatResponse();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new HeartbeatResponse(h.from, h.to, h.term, nonNegative(m.getReadRound(), "readRound"));
            }
            case TIMEOUT_NOW: {
                TimeoutNowMsg m = env.getTimeoutNow();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new TimeoutNow(h.from, h.to, h.term);
            }
            case READ_INDEX_REQUEST: {
                ReadIndexRequestMsg m = env.getReadIndexRequest();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new ReadIndexRequest(h.from, h.to, h.term, m.getRequestId());
            }
            case READ_INDEX_RESPONSE: {
                ReadIndexResponseMsg m = env.getReadIndexResponse();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new ReadIndexResponse(h.from, h.to, h.term, m.getRequestId(),
                        nonNegative(m.getReadIndex(), "readIndex"), m.getSuccess());
            }
            case PROPOSAL_FORWARD: {
                ProposalForwardMsg m = env.getProposalForward();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                if (m.getCommandsCount() == 0) {
                    throw new MalformedMessageException("a proposal forward carries no command");
                }
                List<byte[]> commands = new ArrayList<>(m.getCommandsCount());
                for (int i = 0; i < m.getCommandsCount(); i++) {
                    commands.add(m.getCommands(i).toByteArray());
                }
                return new ProposalForward(h.from, h.to, h.term, m.getForwardId(), commands);
            }
            case PROPOSAL_FORWARD_RESPONSE: {
                ProposalForwardResponseMsg m = env.getProposalForwardResponse();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                if (m.getRefusal() > ProposalForwardResponse.TRANSFER_IN_PROGRESS) {
                    throw new MalformedMessageException("unknown refusal code " + m.getRefusal());
                }
                long first = nonNegative(m.getFirstIndex(), "firstIndex");
                long last = nonNegative(m.getLastIndex(), "lastIndex");
                if (m.getRefusal() == 0 && (first < 1 || last < first)) {
                    throw new MalformedMessageException("appended range " + first + ".." + last + " is empty");
                }
                return new ProposalForwardResponse(h.from, h.to, h.term, m.getForwardId(), m.getRefusal(), first, last,
                        atMostTerm(nonNegative(m.getProposalTerm(), "proposalTerm"), "proposalTerm", h));
            }
            case INSTALL_SNAPSHOT_REQUEST: {
                InstallSnapshotRequestMsg m = env.getInstallSnapshotRequest();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                return new InstallSnapshotRequest(h.from, h.to, h.term, snapshotMeta(m.getSnapshot(), h));
            }
            case SNAPSHOT_CHUNK: {
                SnapshotChunkMsg m = env.getSnapshotChunk();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                long total = nonNegative(m.getTotalBytes(), "totalBytes");
                long offset = nonNegative(m.getOffset(), "offset");
                int length = m.getData().size();
                if (offset > total || length > total - offset) {
                    throw new MalformedMessageException("snapshot chunk " + offset + "+" + length
                            + " lies outside the snapshot's " + total + " bytes");
                }
                return new SnapshotChunk(h.from, h.to, h.term, snapshotMeta(m.getSnapshot(), h), total,
                        Integer.toUnsignedLong(m.getTotalCrc()), offset, m.getData().toByteArray(),
                        Integer.toUnsignedLong(m.getCrc()));
            }
            case SNAPSHOT_CHUNK_ACK: {
                SnapshotChunkAckMsg m = env.getSnapshotChunkAck();
                Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
                String refusal = m.getRefusal();
                if (refusal.length() > 1024) {
                    throw new MalformedMessageException("snapshot refusal reason of " + refusal.length()
                            + " characters (limit 1024)");
                }
                return new SnapshotChunkAck(h.from, h.to, h.term, nonNegative(m.getSnapshotIndex(), "snapshotIndex"),
                        nonNegative(m.getNextOffset(), "nextOffset"), refusal.isEmpty() ? null : refusal);
            }
            case HELLO:
                throw new MalformedMessageException("unexpected Hello after the handshake");
            case BODY_NOT_SET:
            default:
                // Also what a message type added by a newer protocol version looks like to this one.
                throw new MalformedMessageException("envelope carries no message this node understands");
        }
    }

    private static SnapshotMetaMsg snapshotMeta(SnapshotMeta meta) {
        SnapshotMetaMsg.Builder b = SnapshotMetaMsg.newBuilder().setIndex(meta.index()).setTerm(meta.term());
        for (NodeId v : meta.configuration().voters()) {
            b.addVoters(v.value());
        }
        for (NodeId l : meta.configuration().learners()) {
            b.addLearners(l.value());
        }
        for (java.util.Map.Entry<NodeId, String> a : meta.configuration().addresses().entrySet()) {
            b.putAddresses(a.getKey().value(), a.getValue());
        }
        return b.build();
    }

    private SnapshotMeta snapshotMeta(SnapshotMetaMsg m, Header h) throws MalformedMessageException {
        long index = nonNegative(m.getIndex(), "snapshot index");
        long term = atMostTerm(nonNegative(m.getTerm(), "snapshot term"), "snapshot term", h);
        if (index == 0 || m.getVotersCount() == 0) {
            throw new MalformedMessageException("a snapshot needs an index and at least one voter");
        }
        if (m.getAddressesCount() > Configuration.MAX_MEMBERS) {
            throw new MalformedMessageException("a snapshot names " + m.getAddressesCount() + " addresses");
        }
        try {
            java.util.Map<NodeId, String> addresses = new java.util.TreeMap<>();
            for (java.util.Map.Entry<String, String> a : m.getAddressesMap().entrySet()) {
                addresses.put(NodeId.of(a.getKey()), a.getValue());
            }
            return new SnapshotMeta(index, term, new Configuration(nodeIds(m.getVotersList()),
                    nodeIds(m.getLearnersList()), addresses));
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException("invalid snapshot membership: " + e.getMessage());
        }
    }

    private static java.util.Set<NodeId> nodeIds(List<String> ids) {
        java.util.Set<NodeId> set = new java.util.TreeSet<>();
        for (String id : ids) {
            set.add(NodeId.of(id));
        }
        return set;
    }

    private RaftMessage decodeAppend(AppendEntriesRequestMsg m, NodeId peer) throws MalformedMessageException {
        Header h = header(m.getFrom(), m.getTo(), m.getTerm(), peer);
        long prevLogIndex = nonNegative(m.getPrevLogIndex(), "prevLogIndex");
        long prevLogTerm = atMostTerm(nonNegative(m.getPrevLogTerm(), "prevLogTerm"), "prevLogTerm", h);
        long leaderCommit = nonNegative(m.getLeaderCommit(), "leaderCommit");
        // The list is sized by what was actually parsed (bounded by the frame), never by a claimed count.
        List<Entry> entries = new ArrayList<>(m.getEntriesCount());
        long expectedIndex = prevLogIndex + 1;
        long previousTerm = prevLogTerm;
        for (int i = 0; i < m.getEntriesCount(); i++) {
            EntryMsg e = m.getEntries(i);
            long index = e.getIndex();
            // index < 1 also catches prevLogIndex + 1 wrapping around at Long.MAX_VALUE.
            if (index < 1 || index != expectedIndex) {
                throw new MalformedMessageException("entry #" + i + " has index " + Long.toUnsignedString(index)
                        + ", expected " + Long.toUnsignedString(expectedIndex)
                        + " (entries must be consecutive from prevLogIndex + 1)");
            }
            long term = e.getTerm();
            if (term < 1 || term > h.term) {
                throw new MalformedMessageException("entry " + index + " has term " + Long.toUnsignedString(term)
                        + ", must be between 1 and the message's term " + h.term);
            }
            if (term < previousTerm) {
                throw new MalformedMessageException("entry " + index + " has term " + term
                        + ", lower than the term " + previousTerm + " before it (log terms never decrease)");
            }
            ByteString data = e.getData();
            EntryType type = switch (e.getKind()) {
                case ENTRY_KIND_COMMAND -> EntryType.COMMAND;
                case ENTRY_KIND_NOOP -> {
                    if (!data.isEmpty()) {
                        throw new MalformedMessageException("no-op entry " + index + " carries " + data.size()
                                + " bytes of data");
                    }
                    yield EntryType.NOOP;
                }
                case ENTRY_KIND_CONFIGURATION -> {
                    try {
                        io.raftkv.core.Configuration.decode(data.toByteArray());
                    } catch (IllegalArgumentException bad) {
                        throw new MalformedMessageException("configuration entry " + index + ": " + bad.getMessage());
                    }
                    yield EntryType.CONFIGURATION;
                }
                default -> throw new MalformedMessageException("entry " + index + " has unknown kind "
                        + e.getKindValue());
            };
            entries.add(new Entry(index, term, type, data.toByteArray()));
            expectedIndex++;
            previousTerm = term;
        }
        return new AppendEntriesRequest(h.from, h.to, h.term, prevLogIndex, prevLogTerm, List.copyOf(entries),
                leaderCommit);
    }

    private record Header(NodeId from, NodeId to, long term) {
    }

    private Header header(String fromRaw, String toRaw, long term, NodeId peer) throws MalformedMessageException {
        NodeId from = nodeId(fromRaw, "from");
        if (!from.equals(peer)) {
            throw new MalformedMessageException("message claims to be from " + from
                    + " but the connection is authenticated as " + peer);
        }
        NodeId to = nodeId(toRaw, "to");
        if (!to.equals(self)) {
            throw new MalformedMessageException("message is addressed to " + to + ", this node is " + self);
        }
        return new Header(from, to, nonNegative(term, "term"));
    }

    private static NodeId nodeId(String raw, String field) throws MalformedMessageException {
        // Length first, so that a huge string never reaches NodeId's message (which quotes the value).
        if (raw.isEmpty() || raw.length() > NodeId.MAX_LENGTH) {
            throw new MalformedMessageException(field + " node id must be 1 to " + NodeId.MAX_LENGTH
                    + " characters, got " + raw.length());
        }
        try {
            return new NodeId(raw);
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException(field + " node id " + quote(raw) + " is invalid");
        }
    }

    /** uint64 fields arrive as longs; one above Long.MAX_VALUE shows up negative and is rejected. */
    private static long nonNegative(long value, String field) throws MalformedMessageException {
        if (value < 0) {
            throw new MalformedMessageException(field + " " + Long.toUnsignedString(value) + " is out of range");
        }
        return value;
    }

    /** A sender's log never holds a term above the sender's current term, which is the message's term. */
    private static long atMostTerm(long value, String field, Header h) throws MalformedMessageException {
        if (value > h.term) {
            throw new MalformedMessageException(field + " " + value + " exceeds the message's term " + h.term);
        }
        return value;
    }

    private static String bodyName(Envelope env) {
        return env.getBodyCase() == Envelope.BodyCase.BODY_NOT_SET ? "an envelope without a message"
                : env.getBodyCase().name();
    }

    /**
     * A value from the wire made safe for a log line: at most 64 characters, control and non-ASCII characters
     * replaced, so a hostile peer cannot forge log lines or flood the log.
     */
    static String quote(String raw) {
        int limit = Math.min(raw.length(), 64);
        StringBuilder b = new StringBuilder(limit + 8).append('\'');
        for (int i = 0; i < limit; i++) {
            char c = raw.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        b.append('\'');
        if (raw.length() > limit) {
            b.append("... (").append(raw.length()).append(" chars)");
        }
        return b.toString();
    }
}
