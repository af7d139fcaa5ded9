package io.raftkv.kv.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.Role;
import io.raftkv.kv.api.ClientProtocol;
import io.raftkv.kv.api.proto.CasRequest;
import io.raftkv.kv.api.proto.ClientRequest;
import io.raftkv.kv.api.proto.ClientResponse;
import io.raftkv.kv.api.proto.Consistency;
import io.raftkv.kv.api.proto.DeleteRequest;
import io.raftkv.kv.api.proto.ErrorCode;
import io.raftkv.kv.api.proto.GetRequest;
import io.raftkv.kv.api.proto.PutRequest;
import io.raftkv.kv.api.proto.ScanRequest;
import io.raftkv.kv.api.proto.Session;
import io.raftkv.kv.api.proto.StatusRequest;
import io.raftkv.kv.server.service.KvLimits;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import io.raftkv.server.RaftServer;
import io.raftkv.server.RaftServerConfig;
import io.raftkv.storage.DurableStorage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client protocol end to end over raw sockets: a real single-voter Raft node on durable storage, the KV
 * service with small limits (64-byte keys, 1 KiB values, scans of at most 100) and the Netty server on
 * 127.0.0.1. Raw sockets let the tests send what no well-behaved client sends. The node is shared by the tests,
 * so each test uses its own keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientProtocolServerTest {

    private static final KvLimits LIMITS = new KvLimits(64, 1024, 100);
    private static final int SOCKET_TIMEOUT_MILLIS = 10_000;

    private TestNode node;
    private ClientProtocolServer server;
    private InetSocketAddress address;
    private long nextId = 1;

    /** One RaftServer + store + KvService; the other voters of {@code voters}, if any, never run. */
    private static final class TestNode implements AutoCloseable {
        final RaftServer<KvResult> raft;
        final KvStateMachine store;
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        final KvService service;

        TestNode(Path root, String... voters) throws IOException {
            NodeId id = NodeId.of(voters[0]);
            DurableStorage storage = DurableStorage.open(root.resolve("raft"), "protocol-test", id,
                    Configuration.ofVoters(voters), DurableStorage.Options.defaults());
            store = KvStateMachine.open(root.resolve("kv"), Duration.ofHours(1));
            raft = new RaftServer<>(RaftServerConfig.of(RaftConfig.builder(id).build()).withTick(Duration.ofMillis(10)),
                    storage, store, message -> { }, new SplittableRandom(42));
            service = new KvService(raft, store, LIMITS, Clock.systemUTC(), scheduler, scheduler);
        }

        @Override
        public void close() {
            raft.close();
            scheduler.shutdownNow();
            store.close();
        }
    }

    @BeforeAll
    void startSingleNodeClusterAndServer(@TempDir Path dir) throws IOException {
        node = new TestNode(dir.resolve("single"), "n1");
        server = new ClientProtocolServer(node.service, new InetSocketAddress("127.0.0.1", 0),
                ClientProtocolServer.Options.defaults().withMaxFrameBytes(4096), null);
        address = server.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> node.raft.status().role() == Role.LEADER);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (node != null) {
            node.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ every op

    @Test
    void putGetDeleteAndCasRoundTrip() throws Exception {
        try (Socket s = connect()) {
            ClientResponse put = call(s, req().setPut(PutRequest.newBuilder().setKey(bs("rt")).setValue(bs("one"))));
            assertThat(put.hasPut()).as("%s", put).isTrue();
            long revision = put.getPut().getRevision();
            assertThat(revision).isPositive();

            ClientResponse get = call(s, req().setGet(GetRequest.newBuilder().setKey(bs("rt"))));
            assertThat(get.getGet().getFound()).isTrue();
            assertThat(get.getGet().getValue().toStringUtf8()).isEqualTo("one");
            assertThat(get.getGet().getRevision()).isEqualTo(revision);

            ClientResponse casWrong = call(s, req().setCas(CasRequest.newBuilder().setKey(bs("rt"))
                    .setExpected(bs("nope")).setValue(bs("two"))));
            assertThat(casWrong.getCas().getSucceeded()).isFalse();
            assertThat(casWrong.getCas().getRevision()).isEqualTo(revision);

            ClientResponse casRight = call(s, req().setCas(CasRequest.newBuilder().setKey(bs("rt"))
                    .setExpected(bs("one")).setValue(bs("two"))));
            assertThat(casRight.getCas().getSucceeded()).isTrue();
            assertThat(casRight.getCas().getRevision()).isGreaterThan(revision);

            ClientResponse casAbsent = call(s, req().setCas(CasRequest.newBuilder().setKey(bs("rt-new"))
                    .setExpectAbsent(true).setValue(bs("fresh"))));
            assertThat(casAbsent.getCas().getSucceeded()).isTrue();

            ClientResponse delete = call(s, req().setDelete(DeleteRequest.newBuilder().setKey(bs("rt"))));
            assertThat(delete.getDelete().getDeleted()).isTrue();
            ClientResponse deleteAgain = call(s, req().setDelete(DeleteRequest.newBuilder().setKey(bs("rt"))));
            assertThat(deleteAgain.getDelete().getDeleted()).isFalse();

            for (Consistency c : new Consistency[] {Consistency.LINEARIZABLE, Consistency.LEASE, Consistency.STALE}) {
                ClientResponse gone = call(s, req().setGet(GetRequest.newBuilder().setKey(bs("rt")).setConsistency(c)));
                assertThat(gone.getGet().getFound()).as("%s", c).isFalse();
            }
        }
    }

    @Test
    void scanReturnsRangesPrefixesAndPages() throws Exception {
        try (Socket s = connect()) {
            for (String k : new String[] {"scan/a", "scan/b", "scan/c", "scan0"}) {
                assertThat(call(s, req().setPut(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(k)))).hasPut())
                        .isTrue();
            }
            // prefix "scan/": end is "scan0" (the byte after '/' is '0'), so "scan0" is excluded.
            ClientResponse prefix = call(s, req().setScan(ScanRequest.newBuilder().setStart(bs("scan/"))
                    .setEnd(bs("scan0")).setHasEnd(true)));
            assertThat(prefix.getScan().getItemsList()).extracting(kv -> kv.getKey().toStringUtf8())
                    .containsExactly("scan/a", "scan/b", "scan/c");
            assertThat(prefix.getScan().getMore()).isFalse();
            assertThat(prefix.getScan().getItems(0).getRevision()).isPositive();

            ClientResponse page = call(s, req().setScan(ScanRequest.newBuilder().setStart(bs("scan/"))
                    .setEnd(bs("scan0")).setHasEnd(true).setLimit(2).setConsistency(Consistency.STALE)));
            assertThat(page.getScan().getItemsCount()).isEqualTo(2);
            assertThat(page.getScan().getMore()).isTrue();

            ClientResponse unbounded = call(s, req().setScan(ScanRequest.newBuilder().setStart(bs("scan/c"))));
            assertThat(unbounded.getScan().getItemsList()).extracting(kv -> kv.getKey().toStringUtf8())
                    .startsWith("scan/c", "scan0");

            ClientResponse tooMany = call(s, req().setScan(ScanRequest.newBuilder().setLimit(101)));
            assertThat(tooMany.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        }
    }

    @Test
    void aScanWhoseResponseWouldNotFitInAFrameIsRefusedAsTooLarge() throws Exception {
        try (Socket s = connect()) {
            String big = "v".repeat(1000);
            for (int i = 0; i < 6; i++) {
                call(s, req().setPut(PutRequest.newBuilder().setKey(bs("big/" + i)).setValue(bs(big))));
            }
            ClientResponse r = call(s, req().setScan(ScanRequest.newBuilder().setStart(bs("big/"))
                    .setEnd(bs("big0")).setHasEnd(true)));
            assertThat(r.getError().getCode()).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(r.getError().getMessage()).contains("lower limit");
            // The connection is still fine.
            assertThat(call(s, req().setScan(ScanRequest.newBuilder().setStart(bs("big/")).setLimit(2))).hasScan())
                    .isTrue();
        }
    }

    @Test
    void statusDescribesTheNode() throws Exception {
        try (Socket s = connect()) {
            ClientResponse r = call(s, req().setStatus(StatusRequest.getDefaultInstance()));
            assertThat(r.getStatus().getId()).isEqualTo("n1");
            assertThat(r.getStatus().getRole()).isEqualTo("leader");
            assertThat(r.getStatus().getLeader()).isEqualTo("n1");
            assertThat(r.getStatus().getTerm()).isPositive();
            assertThat(r.getStatus().getCommitIndex()).isPositive();
            assertThat(r.getStatus().getMembersList()).singleElement()
                    .satisfies(m -> assertThat(m.getId() + "/" + m.getRole()).isEqualTo("n1/voter"));
        }
    }

    @Test
    void aRetriedSessionWriteIsAnsweredFromTheSessionAndNotAppliedTwice() throws Exception {
        try (Socket s = connect()) {
            Session session = Session.newBuilder().setClientId("protocol-test-session").setSequence(1).build();
            ClientRequest.Builder cas = req().setSession(session).setCas(CasRequest.newBuilder().setKey(bs("once"))
                    .setExpectAbsent(true).setValue(bs("first")));
            ClientResponse first = call(s, cas);
            ClientResponse retry = call(s, cas.setId(nextId++));
            assertThat(first.getCas().getSucceeded()).isTrue();
            // Without the session the retry would find the key present and fail.
            assertThat(retry.getCas()).isEqualTo(first.getCas());

            ClientResponse older = call(s, req().setSession(session.toBuilder().setSequence(2))
                    .setPut(PutRequest.newBuilder().setKey(bs("once")).setValue(bs("second"))));
            assertThat(older.hasPut()).isTrue();
            ClientResponse stale = call(s, req().setSession(session)
                    .setPut(PutRequest.newBuilder().setKey(bs("once")).setValue(bs("again"))));
            assertThat(stale.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(stale.getError().getOutcomeUnknown()).isFalse();
        }
    }

    @Test
    void manyPipelinedRequestsBeyondTheInFlightLimitAreAllAnswered() throws Exception {
        try (ClientProtocolServer small = new ClientProtocolServer(node.service, new InetSocketAddress("127.0.0.1", 0),
                ClientProtocolServer.Options.defaults().withMaxInFlight(4), null);
             Socket s = new Socket()) {
            InetSocketAddress a = small.start();
            s.connect(a, SOCKET_TIMEOUT_MILLIS);
            s.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
            // 500 requests in one write: far more than one read's worth beyond the limit of 4.
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            Map<Long, String> expected = new HashMap<>();
            for (int i = 0; i < 500; i++) {
                ClientRequest r = (i % 2 == 0
                        ? req().setPut(PutRequest.newBuilder().setKey(bs("pipe/" + i)).setValue(bs("v" + i)))
                        : req().setGet(GetRequest.newBuilder().setKey(bs("pipe/" + (i - 1)))
                                .setConsistency(Consistency.STALE))).build();
                expected.put(r.getId(), r.getOpCase().name());
                batch.write(frame(r.toByteArray()));
            }
            s.getOutputStream().write(batch.toByteArray());
            s.getOutputStream().flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < 500; i++) {
                ClientResponse r = readResponse(in);
                String op = expected.remove(r.getId());
                assertThat(op).as("response %s answers a request sent once", r.getId()).isNotNull();
                assertThat(r.hasError()).as("%s", r).isFalse();
            }
            assertThat(expected).isEmpty();
        }
    }

    // ------------------------------------------------------------------------------------------------ bad requests

    @Test
    void aValidFrameWithNoOperationIsABadRequestAndTheConnectionStaysOpen() throws Exception {
        try (Socket s = connect()) {
            ClientResponse r = call(s, req());
            assertThat(r.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(r.getError().getMessage()).contains("no operation");
            assertThat(call(s, req().setStatus(StatusRequest.getDefaultInstance())).hasStatus()).isTrue();
        }
    }

    @Test
    void anEmptyFrameIsABadRequestWithIdZero() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(new byte[4]);
            ClientResponse r = readResponse(new DataInputStream(s.getInputStream()));
            assertThat(r.getId()).isZero();
            assertThat(r.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        }
    }

    @Test
    void anUnknownOrMissingVersionIsABadRequest() throws Exception {
        try (Socket s = connect()) {
            ClientResponse future = call(s, req().setVersion(ClientProtocol.VERSION + 1)
                    .setStatus(StatusRequest.getDefaultInstance()));
            assertThat(future.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(future.getError().getMessage()).contains("version " + (ClientProtocol.VERSION + 1));
            ClientResponse missing = call(s, req().clearVersion().setStatus(StatusRequest.getDefaultInstance()));
            assertThat(missing.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(missing.getError().getMessage()).contains("no protocol version");
        }
    }

    @Test
    void missingKeysBadSessionsUnknownConsistencyAndOversizedKeysAreRefused() throws Exception {
        try (Socket s = connect()) {
            assertThat(error(s, req().setPut(PutRequest.newBuilder().setValue(bs("v"))))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error(s, req().setGet(GetRequest.getDefaultInstance()))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error(s, req().setDelete(DeleteRequest.getDefaultInstance()))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error(s, req().setCas(CasRequest.newBuilder().setValue(bs("v"))))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error(s, req().setSession(Session.newBuilder().setSequence(1))
                    .setPut(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v"))))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error(s, req().setSession(Session.newBuilder().setClientId("c"))
                    .setPut(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v"))))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error(s, req().setGet(GetRequest.newBuilder().setKey(bs("k")).setConsistencyValue(42))))
                    .isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error(s, req().setPut(PutRequest.newBuilder().setKey(bs("k".repeat(65))).setValue(bs("v")))))
                    .isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(error(s, req().setPut(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v".repeat(1025))))))
                    .isEqualTo(ErrorCode.TOO_LARGE);
            // Still serving on the same connection.
            assertThat(call(s, req().setStatus(StatusRequest.getDefaultInstance())).hasStatus()).isTrue();
        }
    }

    // ------------------------------------------------------------------------------------------------ bad frames

    @Test
    void aFrameThatIsNotAProtobufMessageClosesTheConnection() throws Exception {
        try (Socket s = connect()) {
            // Field 1 with wire type 7, which does not exist.
            s.getOutputStream().write(frame(new byte[] {(byte) 0x0F, 1, 2, 3}));
            assertClosedByServer(s);
        }
        assertServerStillServes();
    }

    @Test
    void textWhereAFrameShouldBeClosesTheConnection() throws Exception {
        try (Socket s = connect()) {
            // "GET " read as a length prefix is about 1.2 GB: far over the limit.
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertClosedByServer(s);
        }
        assertServerStillServes();
    }

    @Test
    void anOversizedLengthPrefixClosesTheConnectionBeforeTheBodyIsSent() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(ByteBuffer.allocate(4).putInt(4096).array());
            assertClosedByServer(s);
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(new byte[] {(byte) 0x80, 0, 0, 0}); // negative as a signed int
            assertClosedByServer(s);
        }
        assertServerStillServes();
    }

    @Test
    void aTruncatedFrameFollowedByCloseLeavesTheServerServing() throws Exception {
        try (Socket s = connect()) {
            byte[] whole = frame(req().setStatus(StatusRequest.getDefaultInstance()).build().toByteArray());
            s.getOutputStream().write(whole, 0, whole.length - 1);
            s.getOutputStream().flush();
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(new byte[] {0, 0}); // half a length prefix
        }
        assertServerStillServes();
    }

    // ------------------------------------------------------------------------------------------------ no leader

    @Test
    void withoutAQuorumRequestsFailUnavailableWithinTheirTimeout(@TempDir Path dir) throws Exception {
        try (TestNode lonely = new TestNode(dir, "m1", "m2", "m3");
             ClientProtocolServer srv = new ClientProtocolServer(lonely.service, new InetSocketAddress("127.0.0.1", 0));
             Socket s = new Socket()) {
            s.connect(srv.start(), SOCKET_TIMEOUT_MILLIS);
            s.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
            long started = System.nanoTime();
            ClientResponse put = call(s, req().setTimeoutMillis(300).setSession(Session.newBuilder()
                    .setClientId("lonely").setSequence(1)).setPut(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v"))));
            assertThat(put.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(put.getError().getRetryAfterMillis()).isPositive();
            assertThat(put.getError().getOutcomeUnknown()).as("a write that timed out may have been applied").isTrue();
            ClientResponse get = call(s, req().setTimeoutMillis(300).setGet(GetRequest.newBuilder().setKey(bs("k"))));
            assertThat(get.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(get.getError().getOutcomeUnknown()).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

            ClientResponse status = call(s, req().setStatus(StatusRequest.getDefaultInstance()));
            assertThat(status.getStatus().getRole()).isIn("follower", "candidate");
            assertThat(status.getStatus().getMembersList()).hasSize(3);
            // A stale read needs no quorum.
            ClientResponse stale = call(s, req().setGet(GetRequest.newBuilder().setKey(bs("k"))
                    .setConsistency(Consistency.STALE)));
            assertThat(stale.getGet().getFound()).isFalse();
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private ClientRequest.Builder req() {
        return ClientRequest.newBuilder().setId(nextId++).setVersion(ClientProtocol.VERSION);
    }

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(address, SOCKET_TIMEOUT_MILLIS);
        s.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
        return s;
    }

    private static byte[] frame(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    private static ClientResponse call(Socket s, ClientRequest.Builder request) throws IOException {
        ClientRequest r = request.build();
        OutputStream out = s.getOutputStream();
        out.write(frame(r.toByteArray()));
        out.flush();
        ClientResponse response = readResponse(new DataInputStream(s.getInputStream()));
        assertThat(response.getId()).isEqualTo(r.getId());
        return response;
    }

    private static ErrorCode error(Socket s, ClientRequest.Builder request) throws IOException {
        ClientResponse r = call(s, request);
        assertThat(r.hasError()).as("%s", r).isTrue();
        assertThat(r.getError().getMessage()).isNotBlank();
        return r.getError().getCode();
    }

    private static ClientResponse readResponse(DataInputStream in) throws IOException {
        int length = in.readInt();
        byte[] body = new byte[length];
        in.readFully(body);
        return ClientResponse.parseFrom(body);
    }

    /** The server closed the connection: a read sees end of stream (or a reset), not a timeout. */
    private static void assertClosedByServer(Socket s) throws IOException {
        try {
            int b = s.getInputStream().read();
            assertThat(b).as("end of stream").isEqualTo(-1);
        } catch (SocketException reset) {
            // Closed with unread input on the server side: a reset is a close too.
        } catch (EOFException eof) {
            // fine
        }
    }

    private void assertServerStillServes() throws IOException {
        try (Socket s = connect()) {
            assertThat(call(s, req().setStatus(StatusRequest.getDefaultInstance())).getStatus().getId())
                    .isEqualTo("n1");
        }
    }
}
