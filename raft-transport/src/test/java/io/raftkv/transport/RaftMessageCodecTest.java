package io.raftkv.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import io.raftkv.core.NodeId;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.transport.proto.AppendEntriesRequestMsg;
import io.raftkv.transport.proto.EntryKind;
import io.raftkv.transport.proto.EntryMsg;
import io.raftkv.transport.proto.Envelope;
import io.raftkv.transport.proto.HeartbeatRequestMsg;
import io.raftkv.transport.proto.Hello;
import io.raftkv.transport.proto.VoteRequestMsg;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RaftMessageCodecTest {

    private static final NodeId A = NodeId.of("a");
    private static final NodeId B = NodeId.of("b");
    private static final NodeId C = NodeId.of("c");
    private static final String CLUSTER = "prod-1";

    /** Where A's transport listens, as it would announce it. */
    private static final InetSocketAddress A_ADDRESS = new InetSocketAddress("127.0.0.1", 7001);

    private final RaftMessageCodec atA = new RaftMessageCodec(CLUSTER, A);
    private final RaftMessageCodec atB = new RaftMessageCodec(CLUSTER, B);

    static java.util.List<RaftMessage> everyType() {
        return SampleMessages.oneOfEach(A, B);
    }

    /** Encode at A, serialize, parse and decode at B as if it came over A's authenticated connection. */
    private RaftMessage overTheWire(RaftMessage m) throws Exception {
        byte[] bytes = atA.encode(m).toByteArray();
        return atB.decode(atB.parse(ByteBuffer.wrap(bytes)), A);
    }

    @ParameterizedTest
    @MethodSource("everyType")
    void everyMessageTypeRoundTrips(RaftMessage m) throws Exception {
        assertThat(overTheWire(m)).isEqualTo(m);
    }

    @Test
    void randomMessagesRoundTrip() throws Exception {
        Random random = new Random(20240611);
        for (int i = 0; i < 5_000; i++) {
            RaftMessage m = SampleMessages.random(random, A, B);
            assertThat(overTheWire(m)).as("message #%d: %s", i, m).isEqualTo(m);
        }
    }

    @Test
    void helloIdentifiesThePeerAndLane() throws Exception {
        for (Lane lane : Lane.values()) {
            Envelope hello = atB.parse(ByteBuffer.wrap(atA.hello(lane, A_ADDRESS).toByteArray()));
            assertThat(atB.acceptHello(hello, Set.of(A, C)::contains))
                    .isEqualTo(new RaftMessageCodec.Handshake(A, lane, A_ADDRESS));
        }
    }

    // ------------------------------------------------------------------------------------- advertised address

    private RaftMessageCodec.Handshake acceptedWithAddress(String address) throws Exception {
        Envelope env = hello(h -> h.setAddress(address));
        return atB.acceptHello(atB.parse(ByteBuffer.wrap(env.toByteArray())), Set.of(A)::contains);
    }

    @Test
    void helloCarriesTheAdvertisedAddressAndAcceptHelloReturnsIt() throws Exception {
        assertThat(atA.hello(Lane.CONTROL, A_ADDRESS).getHello().getAddress()).isEqualTo("127.0.0.1:7001");
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 65535);
        assertThat(atA.hello(Lane.BULK, v6).getHello().getAddress()).isEqualTo("[::1]:65535");
        assertThat(acceptedWithAddress("[::1]:65535").address()).isEqualTo(v6);
        assertThat(acceptedWithAddress("10.1.2.3:1").address())
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 1));
        assertThat(acceptedWithAddress("[2001:db8::7]:7000").address())
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 7000));
        // A host name is kept unresolved: the codec runs on I/O threads and must not wait for DNS.
        InetSocketAddress named = acceptedWithAddress("node-1.raft.example:7000").address();
        assertThat(named.isUnresolved()).isTrue();
        assertThat(named.getHostString()).isEqualTo("node-1.raft.example");
        assertThat(named.getPort()).isEqualTo(7000);
        // Port 0 is never advertised: a node announces the port it actually bound.
        assertThatThrownBy(() -> atA.hello(Lane.CONTROL, new InetSocketAddress("127.0.0.1", 0)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void helloOfAnOlderNodeWithoutAddressIsAcceptedWithoutOne() throws Exception {
        RaftMessageCodec.Handshake handshake = acceptedWithAddress("");
        assertThat(handshake).isEqualTo(new RaftMessageCodec.Handshake(A, Lane.CONTROL, null));
    }

    static List<String> invalidAddresses() {
        return List.of("7000", "host", "host:", ":7000", "host:0", "host:65536", "host:99999999999", "host:-1",
                "host:+80", "host:80 ", " host:80", "host:0x50", "::1:7000", "[::1]", "[::1]7000", "[::1:7000",
                "[127.0.0.1]:7000", "[fe80::1%eth0]:7000", "[::g]:7000", "[]:7000", "1.2.3:7000",
                "256.1.1.1:7000", "999:7000", "-host:7000", "host-:7000", "a..b:7000", ".host:7000",
                "ho st:7000", "host\n:7000", "h\u00f6st:7000", "host_name:7000",
                "a".repeat(64) + ".example:7000");
    }

    @ParameterizedTest
    @MethodSource("invalidAddresses")
    void anInvalidAdvertisedAddressIsNotLearnedButTheHelloIsAccepted(String address) throws Exception {
        RaftMessageCodec.Handshake handshake = acceptedWithAddress(address);
        assertThat(handshake.peer()).isEqualTo(A);
        assertThat(handshake.address()).isNull();
        assertThatThrownBy(() -> RaftMessageCodec.parseAddress(address)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void advertisedAddressesHaveALengthLimit() throws Exception {
        // A 250-character host name and ":7000": exactly the limit.
        String longest = ("a".repeat(62) + ".").repeat(3) + "a".repeat(61) + ":7000";
        assertThat(longest).hasSize(RaftMessageCodec.MAX_ADDRESS_LENGTH);
        assertThat(acceptedWithAddress(longest).address()).isNotNull();
        assertThat(acceptedWithAddress("a" + longest).address()).isNull();
    }

    @Test
    void formattedAddressesParseBackToTheSameAddress() throws Exception {
        for (String host : List.of("127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1:2:3:4", "::ffff:10.0.0.1")) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), 7000);
            assertThat(RaftMessageCodec.parseAddress(RaftMessageCodec.formatAddress(address)))
                    .as(host).isEqualTo(address);
        }
    }

    // ------------------------------------------------------------------------------------- handshake rules

    private Envelope hello(UnaryOperator<Hello.Builder> edit) {
        Envelope valid = atA.hello(Lane.CONTROL, A_ADDRESS);
        return valid.toBuilder().setHello(edit.apply(valid.getHello().toBuilder())).build();
    }

    private String rejectedHello(Envelope env) {
        Throwable thrown = catchThrowable(() -> atB.acceptHello(env, Set.of(A, C)::contains));
        assertThat(thrown).isInstanceOf(HandshakeRejectedException.class);
        return thrown.getMessage();
    }

    @Test
    void helloMustComeFirst() {
        assertThat(rejectedHello(atA.encode(SampleMessages.oneOfEach(A, B).get(0))))
                .contains("first frame must be a Hello");
        assertThat(rejectedHello(Envelope.getDefaultInstance())).contains("first frame must be a Hello");
    }

    @Test
    void helloOfAnotherClusterIsRejected() {
        assertThat(rejectedHello(hello(h -> h.setClusterId("other\n-cluster"))))
                .contains("cluster id 'other?-cluster' does not match");
        // The envelope's cluster id is checked as well as the hello's.
        assertThat(rejectedHello(atA.hello(Lane.BULK, A_ADDRESS).toBuilder().setClusterId("other").build()))
                .contains("does not match");
    }

    @Test
    void helloOfAnotherVersionIsRejected() {
        assertThat(rejectedHello(hello(h -> h.setVersion(2)))).contains("unsupported protocol version 2");
        assertThat(rejectedHello(atA.hello(Lane.BULK, A_ADDRESS).toBuilder().setVersion(0).build()))
                .contains("unsupported protocol version");
    }

    @Test
    void helloFromUnknownInvalidOrOwnNodeIdIsRejected() {
        assertThat(rejectedHello(hello(h -> h.setNodeId("mallory")))).contains("mallory is not a configured peer");
        assertThat(rejectedHello(hello(h -> h.setNodeId("bad id!")))).contains("node id 'bad id!' is invalid");
        assertThat(rejectedHello(hello(h -> h.setNodeId("")))).contains("must be 1 to 64 characters");
        assertThat(rejectedHello(hello(h -> h.setNodeId("x".repeat(100_000)))))
                .contains("got 100000").hasSizeLessThan(200);
        assertThat(rejectedHello(hello(h -> h.setNodeId("b")))).contains("claims to be this node");
    }

    @Test
    void aTransportAcceptingEveryIdStillRefusesItsOwnIdAndOtherClusters() {
        // What NettyRaftTransport passes while accepting unconfigured peers.
        Predicate<NodeId> anyone = id -> true;
        Throwable own = catchThrowable(() -> atB.acceptHello(hello(h -> h.setNodeId("b")), anyone));
        assertThat(own).isInstanceOf(HandshakeRejectedException.class).hasMessageContaining("claims to be this node");
        Throwable other = catchThrowable(() -> atB.acceptHello(hello(h -> h.setClusterId("other")), anyone));
        assertThat(other).isInstanceOf(HandshakeRejectedException.class).hasMessageContaining("does not match");
        Throwable version = catchThrowable(() -> atB.acceptHello(hello(h -> h.setVersion(2)), anyone));
        assertThat(version).isInstanceOf(HandshakeRejectedException.class)
                .hasMessageContaining("unsupported protocol version");
    }

    @Test
    void helloWithoutLaneIsRejected() {
        assertThat(rejectedHello(hello(h -> h.setLaneValue(0)))).contains("no valid lane");
        assertThat(rejectedHello(hello(h -> h.setLaneValue(99)))).contains("no valid lane");
    }

    // ------------------------------------------------------------------------------------- message rules

    private String malformed(Envelope env) {
        return malformed(env, A);
    }

    private String malformed(Envelope env, NodeId peer) {
        Throwable thrown = catchThrowable(() -> atB.decode(env, peer));
        assertThat(thrown).isInstanceOf(MalformedMessageException.class);
        return thrown.getMessage();
    }

    private Envelope vote(UnaryOperator<VoteRequestMsg.Builder> edit) {
        Envelope valid = atA.encode(SampleMessages.oneOfEach(A, B).get(0));
        return valid.toBuilder().setVoteRequest(edit.apply(valid.getVoteRequest().toBuilder())).build();
    }

    /** prevLogIndex 10, prevLogTerm 2, term 5, entries 11/2 and 12/3 unless edited. */
    private Envelope append(UnaryOperator<AppendEntriesRequestMsg.Builder> edit) {
        AppendEntriesRequestMsg.Builder b = AppendEntriesRequestMsg.newBuilder()
                .setFrom("a").setTo("b").setTerm(5).setPrevLogIndex(10).setPrevLogTerm(2).setLeaderCommit(9)
                .addEntries(EntryMsg.newBuilder().setIndex(11).setTerm(2).setKind(EntryKind.ENTRY_KIND_COMMAND)
                        .setData(ByteString.copyFromUtf8("x")))
                .addEntries(EntryMsg.newBuilder().setIndex(12).setTerm(3).setKind(EntryKind.ENTRY_KIND_NOOP));
        return Envelope.newBuilder().setVersion(RaftMessageCodec.PROTOCOL_VERSION).setClusterId(CLUSTER)
                .setAppendEntriesRequest(edit.apply(b)).build();
    }

    private static EntryMsg.Builder entry(AppendEntriesRequestMsg.Builder b, int i) {
        return b.getEntriesBuilder(i);
    }

    @Test
    void theUneditedAppendIsValid() throws Exception {
        assertThat(atB.decode(append(b -> b), A)).isNotNull();
    }

    @Test
    void termsAndIndicesAboveLongMaxAreRejected() {
        // -1L is how protobuf hands a uint64 of 2^64 - 1 to Java.
        assertThat(malformed(vote(v -> v.setTerm(-1L)))).contains("term 18446744073709551615 is out of range");
        assertThat(malformed(vote(v -> v.setLastLogIndex(Long.MIN_VALUE)))).contains("lastLogIndex");
        assertThat(malformed(append(b -> b.setPrevLogIndex(-5)))).contains("prevLogIndex");
        assertThat(malformed(append(b -> b.setLeaderCommit(-5)))).contains("leaderCommit");
        Envelope hb = Envelope.newBuilder().setVersion(1).setClusterId(CLUSTER).setHeartbeatRequest(
                HeartbeatRequestMsg.newBuilder().setFrom("a").setTo("b").setTerm(3).setCommit(-2)).build();
        assertThat(malformed(hb)).contains("commit");
    }

    @Test
    void logTermsAboveTheMessageTermAreRejected() {
        assertThat(malformed(vote(v -> v.setLastLogTerm(100)))).contains("lastLogTerm 100 exceeds the message's term");
        assertThat(malformed(append(b -> b.setPrevLogTerm(6)))).contains("prevLogTerm 6 exceeds");
    }

    @Test
    void entriesMustBeConsecutiveFromPrevLogIndex() {
        assertThat(malformed(append(b -> {
            entry(b, 0).setIndex(12);
            return b;
        }))).contains("entry #0 has index 12, expected 11");
        assertThat(malformed(append(b -> {
            entry(b, 1).setIndex(14);
            return b;
        }))).contains("entry #1 has index 14, expected 12");
        // prevLogIndex + 1 overflowing must not sneak an entry with index Long.MIN_VALUE through.
        assertThat(malformed(append(b -> {
            b.setPrevLogIndex(Long.MAX_VALUE);
            entry(b, 0).setIndex(Long.MIN_VALUE);
            return b;
        }))).contains("entries must be consecutive");
    }

    @Test
    void entryTermsMustBeValidAndNonDecreasing() {
        assertThat(malformed(append(b -> {
            entry(b, 1).setTerm(6);
            return b;
        }))).contains("entry 12 has term 6, must be between 1 and the message's term 5");
        assertThat(malformed(append(b -> {
            entry(b, 0).setTerm(0);
            return b;
        }))).contains("entry 11 has term 0");
        assertThat(malformed(append(b -> {
            entry(b, 0).setTerm(4);
            return b;
        }))).contains("entry 12 has term 3, lower than the term 4 before it");
        assertThat(malformed(append(b -> {
            entry(b, 0).setTerm(1);
            return b;
        }))).contains("entry 11 has term 1, lower than the term 2 before it");
    }

    @Test
    void entryKindsAreChecked() {
        assertThat(malformed(append(b -> {
            entry(b, 0).setKindValue(7);
            return b;
        }))).contains("entry 11 has unknown kind 7");
        assertThat(malformed(append(b -> {
            entry(b, 0).setKind(EntryKind.ENTRY_KIND_UNSPECIFIED);
            return b;
        }))).contains("unknown kind 0");
        assertThat(malformed(append(b -> {
            entry(b, 1).setData(ByteString.copyFromUtf8("payload"));
            return b;
        }))).contains("no-op entry 12 carries 7 bytes");
        assertThat(malformed(append(b -> {
            entry(b, 0).setKind(EntryKind.ENTRY_KIND_CONFIGURATION).setData(ByteString.copyFrom(new byte[] {1, 0}));
            return b;
        }))).contains("configuration entry 11: configuration entry of 2 bytes is shorter than its 5-byte header");
    }

    @Test
    void senderMustBeTheAuthenticatedPeerAndReceiverThisNode() {
        assertThat(malformed(vote(v -> v.setFrom("c")))).contains("claims to be from c")
                .contains("authenticated as a");
        assertThat(malformed(vote(v -> v.setTo("c")))).contains("addressed to c, this node is b");
        assertThat(malformed(vote(v -> v.setFrom("no/slashes")))).contains("from node id 'no/slashes' is invalid");
        assertThat(malformed(vote(v -> v.setTo("")))).contains("to node id must be 1 to 64 characters");
        // Correct message, wrong connection.
        assertThat(malformed(vote(v -> v), C)).contains("claims to be from a but the connection is authenticated as c");
    }

    @Test
    void envelopeVersionClusterAndBodyAreChecked() {
        assertThat(malformed(vote(v -> v).toBuilder().setVersion(2).build())).contains("protocol version 2");
        assertThat(malformed(vote(v -> v).toBuilder().setClusterId("other").build())).contains("cluster id 'other'");
        assertThat(malformed(Envelope.newBuilder().setVersion(1).setClusterId(CLUSTER).build()))
                .contains("no message this node understands");
        assertThat(malformed(atA.hello(Lane.CONTROL, A_ADDRESS))).contains("unexpected Hello");
    }

    @Test
    void bytesThatAreNotAnEnvelopeAreRejected() {
        Random random = new Random(7);
        int rejected = 0;
        for (int i = 0; i < 200; i++) {
            byte[] garbage = new byte[1 + random.nextInt(200)];
            random.nextBytes(garbage);
            try {
                Envelope env = atB.parse(ByteBuffer.wrap(garbage));
                // Garbage that happens to parse still never passes the message checks.
                assertThatThrownBy(() -> atB.decode(env, A)).isInstanceOf(MalformedMessageException.class);
            } catch (MalformedMessageException e) {
                rejected++;
            }
        }
        assertThat(rejected).isPositive();
        // A length-delimited field claiming 2 GiB in a 6-byte buffer: refused, nothing allocated for it.
        byte[] lying = {0x62, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
        assertThatThrownBy(() -> atB.parse(ByteBuffer.wrap(lying)))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("not a valid envelope");
    }

    @Test
    void wireValuesAreQuotedSafelyForLogs() {
        assertThat(RaftMessageCodec.quote("ok-value")).isEqualTo("'ok-value'");
        assertThat(RaftMessageCodec.quote("a\nb\u0000c\u00e9")).isEqualTo("'a?b?c?'");
        assertThat(RaftMessageCodec.quote("z".repeat(1000))).startsWith("'" + "z".repeat(64) + "'")
                .endsWith("(1000 chars)");
    }
}
