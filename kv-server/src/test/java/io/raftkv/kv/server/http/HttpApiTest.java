package io.raftkv.kv.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.Role;
import io.raftkv.kv.server.service.KvLimits;
import io.raftkv.kv.server.service.KvService;
import io.raftkv.kv.server.store.KvResult;
import io.raftkv.kv.server.store.KvStateMachine;
import io.raftkv.server.RaftServer;
import io.raftkv.server.RaftServerConfig;
import io.raftkv.storage.DurableStorage;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP API end to end: a real single-voter Raft node on durable storage, the KV service with small limits
 * (64-byte keys, 1 KiB values, scans of at most 100) and the Netty server on 127.0.0.1, driven by
 * java.net.http.HttpClient and, for input no well-behaved client sends, by raw sockets. The node is shared by
 * the tests, so each test uses its own keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpApiTest {

    private static final KvLimits LIMITS = new KvLimits(64, 1024, 100);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Class-scoped: set by the {@code @BeforeAll} method, shared by the tests' nodes. */
    private Path dir;

    private TestNode node;
    private HttpApiServer http;
    private InetSocketAddress address;
    private HttpClient client;

    /** One RaftServer + store + KvService; the other voters of {@code voters}, if any, never run. */
    private static final class TestNode implements AutoCloseable {
        final RaftServer<KvResult> raft;
        final KvStateMachine store;
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        final KvService service;

        TestNode(Path root, String... voters) throws IOException {
            NodeId id = NodeId.of(voters[0]);
            DurableStorage storage = DurableStorage.open(root.resolve("raft"), "http-test", id,
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
    void startSingleNodeClusterAndServer(@TempDir Path tempDir) throws IOException {
        dir = tempDir;
        node = new TestNode(dir.resolve("single"), "n1");
        http = new HttpApiServer(node.service, new InetSocketAddress("127.0.0.1", 0));
        address = http.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        await().atMost(Duration.ofSeconds(10)).until(() -> node.raft.status().role() == Role.LEADER);
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        if (node != null) {
            node.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ happy paths

    @Test
    void putReturnsTheRevisionAndGetReturnsTheRawValueWithItsRevisionHeader() throws Exception {
        HttpResponse<byte[]> put = send("PUT", "/v1/kv/greeting", "hello, world");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.headers().firstValue("content-type")).hasValue("application/json");
        long revision = json(put).get("revision").asLong();
        assertThat(revision).isPositive();

        HttpResponse<byte[]> get = send("GET", "/v1/kv/greeting", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(new String(get.body(), StandardCharsets.UTF_8)).isEqualTo("hello, world");
        assertThat(get.headers().firstValue("content-type")).hasValue("application/octet-stream");
        assertThat(get.headers().firstValue("x-revision")).hasValue(Long.toString(revision));
    }

    @Test
    void revisionsIncreaseWithEveryWrite() throws Exception {
        long first = json(send("PUT", "/v1/kv/rev-a", "1")).get("revision").asLong();
        long second = json(send("PUT", "/v1/kv/rev-b", "2")).get("revision").asLong();
        long third = json(send("PUT", "/v1/kv/rev-a", "3")).get("revision").asLong();
        assertThat(second).isGreaterThan(first);
        assertThat(third).isGreaterThan(second);
        assertThat(send("GET", "/v1/kv/rev-a", null).headers().firstValue("X-Revision"))
                .hasValue(Long.toString(third));
    }

    @Test
    void putStoresArbitraryBytesAndAnEmptyValue() throws Exception {
        byte[] binary = {0, (byte) 0xFF, (byte) 0x80, 10, 13};
        assertThat(sendBytes("PUT", "/v1/kv/binary", binary).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/kv/binary", null).body()).isEqualTo(binary);

        assertThat(send("PUT", "/v1/kv/empty-value", "").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> get = send("GET", "/v1/kv/empty-value", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEmpty();
    }

    @Test
    void getOfAnAbsentKeyIs404NotFound() throws Exception {
        HttpResponse<byte[]> get = send("GET", "/v1/kv/never-written", null);
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(json(get).get("error").asText()).isEqualTo("not_found");
        assertThat(json(get).get("message").asText()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"linearizable", "lease", "stale", "STALE"})
    void getServesEveryConsistencyLevel(String consistency) throws Exception {
        send("PUT", "/v1/kv/consistency-key", "v");
        HttpResponse<byte[]> get = send("GET", "/v1/kv/consistency-key?consistency=" + consistency, null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(new String(get.body(), StandardCharsets.UTF_8)).isEqualTo("v");
        assertThat(send("GET", "/v1/kv/consistency-absent?consistency=" + consistency, null).statusCode())
                .isEqualTo(404);
    }

    @Test
    void deleteReportsWhetherTheKeyExisted() throws Exception {
        send("PUT", "/v1/kv/to-delete", "x");
        HttpResponse<byte[]> first = send("DELETE", "/v1/kv/to-delete", null);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(json(first).get("deleted").asBoolean()).isTrue();
        assertThat(json(send("DELETE", "/v1/kv/to-delete", null)).get("deleted").asBoolean()).isFalse();
        assertThat(send("GET", "/v1/kv/to-delete", null).statusCode()).isEqualTo(404);
    }

    @Test
    void keysArePercentDecodedUtf8AndMayContainSlashes() throws Exception {
        assertThat(send("PUT", "/v1/kv/dir/sub%2Ffile%20name", "nested").statusCode()).isEqualTo(200);
        // "/" and "%2F" name the same key: the key is the decoded remainder of the path.
        assertThat(new String(send("GET", "/v1/kv/dir%2Fsub/file%20name", null).body(), StandardCharsets.UTF_8))
                .isEqualTo("nested");

        assertThat(send("PUT", "/v1/kv/caf%C3%A9+plus", "accent").statusCode()).isEqualTo(200);
        JsonNode scan = json(send("GET", "/v1/kv?prefix=caf%C3%A9", null));
        assertThat(scan.get("items").get(0).get("key").asText()).isEqualTo("café+plus"); // '+' is literal in paths
    }

    @Test
    void casSwapsOnlyWhenTheExpectedValueMatches() throws Exception {
        long v1 = json(send("PUT", "/v1/kv/cas-key", "v1")).get("revision").asLong();

        HttpResponse<byte[]> miss = send("POST", "/v1/kv/cas-key/cas", "{\"expected\": \"other\", \"value\": \"v2\"}");
        assertThat(miss.statusCode()).isEqualTo(200);
        assertThat(json(miss).get("succeeded").asBoolean()).isFalse();
        assertThat(json(miss).get("revision").asLong()).isEqualTo(v1);

        HttpResponse<byte[]> hit = send("POST", "/v1/kv/cas-key/cas", "{\"expected\": \"v1\", \"value\": \"v2\"}");
        assertThat(json(hit).get("succeeded").asBoolean()).isTrue();
        assertThat(json(hit).get("revision").asLong()).isGreaterThan(v1);
        assertThat(new String(send("GET", "/v1/kv/cas-key", null).body(), StandardCharsets.UTF_8)).isEqualTo("v2");
    }

    @Test
    void casWithNullExpectedOnlyCreatesAnAbsentKey() throws Exception {
        String body = "{\"expected\": null, \"value\": \"first\"}";
        JsonNode created = json(send("POST", "/v1/kv/create-once/cas", body));
        assertThat(created.get("succeeded").asBoolean()).isTrue();

        JsonNode again = json(send("POST", "/v1/kv/create-once/cas", "{\"expected\": null, \"value\": \"second\"}"));
        assertThat(again.get("succeeded").asBoolean()).isFalse();
        assertThat(again.get("revision").asLong()).isEqualTo(created.get("revision").asLong());
        assertThat(new String(send("GET", "/v1/kv/create-once", null).body(), StandardCharsets.UTF_8))
                .isEqualTo("first");
    }

    @Test
    void casAcceptsBase64ForBinaryValues() throws Exception {
        byte[] old = {(byte) 0xFF, 0};
        byte[] next = {(byte) 0xFE, 1, 2};
        sendBytes("PUT", "/v1/kv/cas-binary", old);
        String body = "{\"expectedBase64\": \"" + Base64.getEncoder().encodeToString(old) + "\", \"valueBase64\": \""
                + Base64.getEncoder().encodeToString(next) + "\"}";
        assertThat(json(send("POST", "/v1/kv/cas-binary/cas", body)).get("succeeded").asBoolean()).isTrue();
        assertThat(send("GET", "/v1/kv/cas-binary", null).body()).isEqualTo(next);
    }

    @Test
    void aKeyEndingInCasIsReachedForCasByEncodingItsSlash() throws Exception {
        JsonNode created = json(send("POST", "/v1/kv/odd%2Fcas/cas", "{\"expected\": null, \"value\": \"x\"}"));
        assertThat(created.get("succeeded").asBoolean()).isTrue();
        // For GET/PUT/DELETE the whole remainder is the key, so "/cas" needs no escaping there.
        assertThat(new String(send("GET", "/v1/kv/odd/cas", null).body(), StandardCharsets.UTF_8)).isEqualTo("x");
        // An encoded "%2Fcas" is part of the key, never the cas endpoint; a plain POST on a key is not allowed.
        HttpResponse<byte[]> post = send("POST", "/v1/kv/odd%2Fcas", "{\"expected\": null, \"value\": \"y\"}");
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void scanWithPrefixAndLimitReturnsKeysInOrderAndSaysWhenThereAreMore() throws Exception {
        for (String k : List.of("scan/a", "scan/b", "scan/c", "scan/d", "scan/e", "scan0", "scam")) {
            send("PUT", "/v1/kv/" + k, "value-" + k);
        }
        JsonNode page = json(send("GET", "/v1/kv?prefix=scan/&limit=3", null));
        assertThat(keys(page)).containsExactly("scan/a", "scan/b", "scan/c");
        assertThat(page.get("more").asBoolean()).isTrue();
        assertThat(page.get("items").get(0).get("value").asText()).isEqualTo("value-scan/a");
        assertThat(page.get("items").get(0).get("revision").asLong()).isPositive();

        JsonNode all = json(send("GET", "/v1/kv?prefix=scan%2F", null));
        assertThat(keys(all)).containsExactly("scan/a", "scan/b", "scan/c", "scan/d", "scan/e");
        assertThat(all.get("more").asBoolean()).isFalse();

        // The next page starts just after the last key returned ("scan/c" + a zero byte).
        JsonNode range = json(send("GET", "/v1/kv?start=scan/c%00&end=scan0&consistency=stale", null));
        assertThat(keys(range)).containsExactly("scan/d", "scan/e");
        assertThat(range.get("more").asBoolean()).isFalse();
    }

    @Test
    void scanGivesNonUtf8ValuesAsBase64() throws Exception {
        byte[] binary = {(byte) 0xC3, 0x28};
        sendBytes("PUT", "/v1/kv/scanbin/x", binary);
        JsonNode item = json(send("GET", "/v1/kv?prefix=scanbin/", null)).get("items").get(0);
        assertThat(item.get("key").asText()).isEqualTo("scanbin/x");
        assertThat(item.has("value")).isFalse();
        assertThat(Base64.getDecoder().decode(item.get("valueBase64").asText())).isEqualTo(binary);
    }

    @Test
    void statusDescribesTheNodeAndItsMembers() throws Exception {
        send("PUT", "/v1/kv/status-key", "x");
        HttpResponse<byte[]> resp = send("GET", "/v1/status", null);
        assertThat(resp.statusCode()).isEqualTo(200);
        JsonNode s = json(resp);
        assertThat(s.get("id").asText()).isEqualTo("n1");
        assertThat(s.get("role").asText()).isEqualTo("leader");
        assertThat(s.get("leader").asText()).isEqualTo("n1");
        assertThat(s.get("term").asLong()).isPositive();
        assertThat(s.get("commitIndex").asLong()).isPositive();
        assertThat(s.get("lastIndex").asLong()).isGreaterThanOrEqualTo(s.get("commitIndex").asLong());
        assertThat(s.get("appliedIndex").asLong()).isPositive();
        assertThat(s.get("snapshotIndex").asLong()).isZero();
        assertThat(s.get("members")).hasSize(1);
        assertThat(s.get("members").get(0).get("id").asText()).isEqualTo("n1");
        assertThat(s.get("members").get(0).get("role").asText()).isEqualTo("voter");
        JsonNode m = s.get("metrics");
        assertThat(m.get("storage").get("fsyncs").asLong()).isPositive();
        assertThat(m.get("storage").get("entriesPersisted").asLong())
                .isGreaterThanOrEqualTo(m.get("storage").get("fsyncs").asLong());
        assertThat(m.get("apply").get("entries").asLong()).isPositive();
        assertThat(m.get("commit").get("entries").asLong()).isPositive();
        assertThat(m.get("store").get("operationsApplied").asLong()).isPositive();
        assertThat(m.get("jvm").get("heapUsedBytes").asLong()).isPositive();
        assertThat(m.get("snapshot").get("taken").asLong()).isZero();
    }

    @Test
    void metricsAreServedInThePrometheusTextFormat() throws Exception {
        send("PUT", "/v1/kv/metrics-key", "x");
        HttpResponse<byte[]> resp = send("GET", "/metrics", null);
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/plain; version=0.0.4"));
        String text = new String(resp.body(), StandardCharsets.UTF_8);
        assertThat(text).containsPattern("(?m)^raftkv_storage_fsyncs_total\\{node=\"n1\"} [1-9]")
                .containsPattern("(?m)^raftkv_raft_is_leader\\{node=\"n1\"} 1\\.0$")
                .containsPattern("(?m)^raftkv_raft_commit_index\\{node=\"n1\"} [1-9]")
                .contains("raftkv_commit_latency_nanos_total")
                .contains("jvm_memory_used_bytes");
        assertMethodNotAllowed("POST", "/metrics", "GET");
    }

    @Test
    void oneConnectionServesManyRequestsAndAnswersPipelinedRequestsInOrder() throws Exception {
        try (Socket s = rawSocket()) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            // Three requests in one write: a write, a read that could finish first, and status.
            String body = "pipelined";
            out.write(("PUT /v1/kv/pipe HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                    + "GET /v1/kv/pipe-absent?consistency=stale HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawResponse put = readResponse(in);
            RawResponse absent = readResponse(in);
            RawResponse status = readResponse(in);
            assertThat(put.status()).isEqualTo(200);
            assertThat(put.text()).contains("revision");
            assertThat(absent.status()).isEqualTo(404);
            assertThat(status.status()).isEqualTo(200);
            assertThat(status.text()).contains("\"role\"");

            // Still open: a fourth request on the same connection.
            out.write("GET /v1/kv/pipe HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawResponse get = readResponse(in);
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.text()).isEqualTo(body);
            assertThat(get.headers().get("connection")).isEqualTo("keep-alive");
        }
    }

    @Test
    void pipeliningBeyondTheLimitIsAnsweredInOrderWithOverloadedForTheExcess() throws Exception {
        send("PUT", "/v1/kv/pipe-many", "v");
        int requests = 40;
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < requests; i++) {
            batch.append("GET /v1/kv/pipe-many?consistency=stale HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        try (Socket s = rawSocket()) {
            s.getOutputStream().write(batch.toString().getBytes(StandardCharsets.US_ASCII));
            int ok = 0;
            for (int i = 0; i < requests; i++) {
                RawResponse r = readResponse(s.getInputStream());
                assertThat(r.status()).isIn(200, 503);
                if (r.status() == 200) {
                    assertThat(r.text()).isEqualTo("v");
                    ok++;
                } else {
                    assertThat(r.text()).contains("\"error\":\"overloaded\"");
                    assertThat(r.headers()).containsKey("retry-after");
                }
            }
            assertThat(ok).isGreaterThanOrEqualTo(HttpApiServer.Options.defaults().maxPipelined());
        }
    }

    // ------------------------------------------------------------------------------------------------ bad input

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "{",
        "not json",
        "[]",
        "\"just a string\"",
        "{\"value\": \"v\"}",
        "{\"expected\": null}",
        "{\"expected\": null, \"value\": 7}",
        "{\"expected\": 1, \"value\": \"v\"}",
        "{\"expected\": null, \"value\": null}",
        "{\"expected\": null, \"value\": \"v\", \"extra\": true}",
        "{\"expected\": null, \"value\": \"a\", \"value\": \"b\"}",
        "{\"expected\": null, \"value\": \"v\"} trailing",
        "{\"expected\": null, \"value\": \"v\", \"valueBase64\": \"dg==\"}",
        "{\"expected\": null, \"valueBase64\": \"not base64!\"}",
        "{\"expected\": null, \"value\": \"\\ud800\"}"
    })
    void casWithAMalformedBodyIs400(String body) throws Exception {
        HttpResponse<byte[]> resp = send("POST", "/v1/kv/cas-malformed/cas", body);
        assertThat(resp.statusCode()).as("body %s", body).isEqualTo(400);
        assertThat(json(resp).get("error").asText()).isEqualTo("bad_request");
        assertThat(send("GET", "/v1/kv/cas-malformed", null).statusCode()).isEqualTo(404);
    }

    @Test
    void casWithInvalidUtf8InTheJsonIs400() throws Exception {
        byte[] body = {'{', '"', 'e', 'x', 'p', 'e', 'c', 't', 'e', 'd', '"', ':', 'n', 'u', 'l', 'l', ',', '"', 'v',
            'a', 'l', 'u', 'e', '"', ':', '"', (byte) 0xFF, '"', '}'};
        HttpResponse<byte[]> resp = sendBytes("POST", "/v1/kv/cas-bad-utf8/cas", body);
        assertThat(resp.statusCode()).isEqualTo(400);
        assertThat(json(resp).get("error").asText()).isEqualTo("bad_request");
    }

    @Test
    void aValueOverTheLimitIs413AndTheConnectionKeepsWorking() throws Exception {
        HttpResponse<byte[]> resp = send("PUT", "/v1/kv/too-big", "x".repeat(LIMITS.maxValueBytes() + 1));
        assertThat(resp.statusCode()).isEqualTo(413);
        assertThat(json(resp).get("error").asText()).isEqualTo("too_large");
        assertThat(send("GET", "/v1/kv/too-big", null).statusCode()).isEqualTo(404);
        // Exactly at the limit is fine.
        assertThat(send("PUT", "/v1/kv/too-big", "x".repeat(LIMITS.maxValueBytes())).statusCode()).isEqualTo(200);
    }

    @Test
    void aCasBodyOverTheAggregatorLimitIs413() throws Exception {
        String body = "{\"expected\": null, \"value\": \"" + "x".repeat(LIMITS.maxValueBytes()
                + HttpApiServer.BODY_SLACK_BYTES) + "\"}";
        HttpResponse<byte[]> resp = send("POST", "/v1/kv/cas-too-big/cas", body);
        assertThat(resp.statusCode()).isEqualTo(413);
        assertThat(json(resp).get("error").asText()).isEqualTo("too_large");
        // Within the body limit but a value over the value limit: the service's check.
        String value = "{\"expected\": null, \"value\": \"" + "x".repeat(LIMITS.maxValueBytes() + 1) + "\"}";
        assertThat(send("POST", "/v1/kv/cas-too-big/cas", value).statusCode()).isEqualTo(413);
    }

    @Test
    void aChunkedBodyOverTheAggregatorLimitIs413AndTheConnectionCloses() throws Exception {
        int chunk = 4096;
        StringBuilder req = new StringBuilder("PUT /v1/kv/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 3; i++) {
            req.append(Integer.toHexString(chunk)).append("\r\n").append("y".repeat(chunk)).append("\r\n");
        }
        req.append("0\r\n\r\n");
        try (Socket s = rawSocket()) {
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.US_ASCII));
            RawResponse r = readResponse(s.getInputStream());
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.text()).contains("too_large");
            assertThat(r.headers().get("connection")).isEqualTo("close");
        }
        assertThat(send("GET", "/v1/kv/chunked", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aKeyOverTheLimitIs413() throws Exception {
        HttpResponse<byte[]> put = send("PUT", "/v1/kv/" + "k".repeat(LIMITS.maxKeyBytes() + 1), "v");
        assertThat(put.statusCode()).isEqualTo(413);
        assertThat(json(put).get("error").asText()).isEqualTo("too_large");
        assertThat(send("PUT", "/v1/kv/" + "k".repeat(LIMITS.maxKeyBytes()), "v").statusCode()).isEqualTo(200);
        // Far beyond: the request line itself is refused by the decoder.
        HttpResponse<byte[]> huge = send("GET", "/v1/kv/" + "k".repeat(20_000), null);
        assertThat(huge.statusCode()).isEqualTo(413);
        assertThat(json(huge).get("error").asText()).isEqualTo("too_large");
    }

    @Test
    void anEmptyKeyIs400() throws Exception {
        HttpResponse<byte[]> resp = send("PUT", "/v1/kv/", "v");
        assertThat(resp.statusCode()).isEqualTo(400);
        assertThat(json(resp).get("error").asText()).isEqualTo("bad_request");
        assertThat(send("POST", "/v1/kv//cas", "{\"expected\": null, \"value\": \"v\"}").statusCode()).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/v1/kv/k?consistency=eventual",
        "/v1/kv/k?consistency=",
        "/v1/kv?limit=0",
        "/v1/kv?limit=101",
        "/v1/kv?limit=-1",
        "/v1/kv?limit=ten",
        "/v1/kv?limit=99999999999999999999",
        "/v1/kv?prefix=a&start=b",
        "/v1/kv?prefix=a&prefix=b",
        "/v1/kv?prefx=a",
        "/v1/kv/k?unknown=1",
        "/v1/status?verbose=1"
    })
    void badQueryParametersAre400(String target) throws Exception {
        HttpResponse<byte[]> resp = send("GET", target, null);
        assertThat(resp.statusCode()).as(target).isEqualTo(400);
        assertThat(json(resp).get("error").asText()).isEqualTo("bad_request");
        assertThat(json(resp).get("message").asText()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/kv/a%zz", "/v1/kv/a%4", "/v1/kv/a%", "/v1/kv/%FF%FE", "/v1/kv?prefix=%G1",
        "/v1/kv/caf\u00e9"})
    void badPercentEncodingIs400(String target) throws Exception {
        // java.net.URI refuses these, so they go over a raw socket.
        try (Socket s = rawSocket()) {
            s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            RawResponse r = readResponse(s.getInputStream());
            assertThat(r.status()).as(target).isEqualTo(400);
            assertThat(r.text()).contains("\"error\":\"bad_request\"");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/v1", "/v1/", "/v2/kv/a", "/v1/statusx", "/v1/status/", "/v1/kvx/a"})
    void unknownPathsAre404(String target) throws Exception {
        HttpResponse<byte[]> resp = send("GET", target, null);
        assertThat(resp.statusCode()).as(target).isEqualTo(404);
        assertThat(json(resp).get("error").asText()).isEqualTo("not_found");
    }

    @Test
    void wrongMethodsAre405WithAnAllowHeader() throws Exception {
        assertMethodNotAllowed("POST", "/v1/status", "GET");
        assertMethodNotAllowed("DELETE", "/v1/kv", "GET");
        assertMethodNotAllowed("POST", "/v1/kv/plain", "GET, PUT, DELETE");
        assertMethodNotAllowed("PATCH", "/v1/kv/plain", "GET, PUT, DELETE");
        assertMethodNotAllowed("PUT", "/v1/status", "GET");
        assertMethodNotAllowed("PATCH", "/v1/kv/x/cas", "GET, PUT, DELETE, POST");
    }

    @Test
    void garbageBytesGetA400OrAClosedConnectionAndTheServerKeepsServing() throws Exception {
        byte[] garbage = new byte[600];
        new SplittableRandom(7).nextBytes(garbage);
        List<byte[]> attempts = List.of(
                "NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                "GET /v1/status HTTP/9.9\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                "G\u00c9T /v1/status HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                "GET /v1/status HTTP/1.1\r\nno colon header\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                "PUT /v1/kv/g HTTP/1.1\r\nContent-Length: banana\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                "PUT /v1/kv/g HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".getBytes(StandardCharsets.US_ASCII),
                concat(garbage, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        for (byte[] attempt : attempts) {
            try (Socket s = rawSocket()) {
                s.getOutputStream().write(attempt);
                s.getOutputStream().flush();
                RawResponse r = readResponseOrNull(s.getInputStream());
                if (r != null) {
                    assertThat(r.status()).as(new String(attempt, StandardCharsets.ISO_8859_1)).isEqualTo(400);
                    assertThat(r.text()).contains("bad_request");
                    assertThat(isClosedByServer(s)).isTrue();
                }
            }
        }
        assertThat(send("GET", "/v1/status", null).statusCode()).isEqualTo(200);
    }

    @Test
    void anAbsurdHeaderIsRefusedAndTheServerKeepsServing() throws Exception {
        try (Socket s = rawSocket()) {
            String request = "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Absurd: " + "a".repeat(100_000) + "\r\n\r\n";
            try {
                s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                RawResponse r = readResponseOrNull(s.getInputStream());
                if (r != null) {
                    assertThat(r.status()).isEqualTo(400);
                }
            } catch (IOException resetWhileWriting) {
                // The server may close before reading everything we send: that is a refusal too.
            }
        }
        assertThat(send("GET", "/v1/status", null).statusCode()).isEqualTo(200);
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        try (HttpApiServer shortIdle = new HttpApiServer(node.service, new InetSocketAddress("127.0.0.1", 0),
                HttpApiServer.Options.defaults().withIdleTimeout(Duration.ofMillis(200)), null)) {
            InetSocketAddress a = shortIdle.start();
            try (Socket s = new Socket(a.getAddress(), a.getPort())) {
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosed() throws Exception {
        try (HttpApiServer oneConnection = new HttpApiServer(node.service, new InetSocketAddress("127.0.0.1", 0),
                HttpApiServer.Options.defaults().withMaxConnections(1), null)) {
            InetSocketAddress a = oneConnection.start();
            try (Socket first = new Socket(a.getAddress(), a.getPort())) {
                first.setSoTimeout(10_000);
                // A full exchange first, so the first connection holds the only slot before the second arrives.
                first.getOutputStream().write("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(readResponse(first.getInputStream()).status()).isEqualTo(200);
                try (Socket second = new Socket(a.getAddress(), a.getPort())) {
                    second.setSoTimeout(10_000);
                    assertThat(isClosedByServer(second)).isTrue();
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ no leader

    @Test
    void withoutALeaderRequestsFailWith503AndRetryAfter() throws Exception {
        // Three voters but only n1 runs: it can never win an election.
        try (TestNode lonely = new TestNode(dir.resolve("lonely"), "n1", "n2", "n3");
             HttpApiServer server = new HttpApiServer(lonely.service, new InetSocketAddress("127.0.0.1", 0),
                     Duration.ofMillis(300), null)) {
            InetSocketAddress a = server.start();

            HttpResponse<byte[]> put = send(a, "PUT", "/v1/kv/k", "v".getBytes(StandardCharsets.UTF_8));
            assertThat(put.statusCode()).isEqualTo(503);
            assertThat(put.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
                    assertThat(Integer.parseInt(v)).isPositive());
            assertThat(json(put).get("error").asText()).isEqualTo("unavailable");
            assertThat(json(put).has("leader")).isFalse();

            HttpResponse<byte[]> read = send(a, "GET", "/v1/kv/k", null);
            assertThat(read.statusCode()).isEqualTo(503);
            assertThat(read.headers().firstValue("Retry-After")).isPresent();

            // A stale read needs no leader: it is served from local state.
            assertThat(send(a, "GET", "/v1/kv/k?consistency=stale", null).statusCode()).isEqualTo(404);

            JsonNode status = json(send(a, "GET", "/v1/status", null));
            assertThat(status.get("role").asText()).isIn("follower", "candidate");
            assertThat(status.get("leader").isNull()).isTrue();
            List<String> members = new ArrayList<>();
            status.get("members").forEach(m -> members.add(m.get("id").asText() + ":" + m.get("role").asText()));
            assertThat(members).containsExactly("n1:voter", "n2:voter", "n3:voter");
        }
    }

    @Test
    void closingTheServerTwiceIsHarmless() throws Exception {
        HttpApiServer s = new HttpApiServer(node.service, new InetSocketAddress("127.0.0.1", 0));
        s.start();
        s.close();
        assertThatCode(s::close).doesNotThrowAnyException();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void assertMethodNotAllowed(String method, String target, String allow) throws Exception {
        HttpResponse<byte[]> resp = send(method, target, method.equals("DELETE") ? null : "");
        assertThat(resp.statusCode()).as(method + " " + target).isEqualTo(405);
        assertThat(resp.headers().firstValue("Allow")).as(method + " " + target).hasValue(allow);
        assertThat(json(resp).get("error").asText()).isEqualTo("method_not_allowed");
    }

    private HttpResponse<byte[]> send(String method, String target, String body) throws Exception {
        return sendBytes(method, target, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<byte[]> sendBytes(String method, String target, byte[] body) throws Exception {
        return send(address, method, target, body);
    }

    private HttpResponse<byte[]> send(InetSocketAddress a, String method, String target, byte[] body)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + target))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode json(HttpResponse<byte[]> resp) throws IOException {
        assertThat(resp.headers().firstValue("content-type")).hasValue("application/json");
        return JSON.readTree(resp.body());
    }

    private static List<String> keys(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("items").forEach(i -> out.add(i.get("key").asText()));
        return out;
    }

    private Socket rawSocket() throws IOException {
        Socket s = new Socket(address.getAddress(), address.getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** True once the server has closed its side (EOF or reset) within the socket timeout. */
    private static boolean isClosedByServer(Socket s) {
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private record RawResponse(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One response, or null if the server closed (or reset) the connection before sending one. */
    private static RawResponse readResponseOrNull(InputStream in) throws IOException {
        try {
            return readResponse(in);
        } catch (EOFException e) {
            return null;
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException reset) {
            return null;
        }
    }

    /** Reads one HTTP/1.1 response with a Content-Length body (all this server sends). */
    private static RawResponse readResponse(InputStream in) throws IOException {
        String statusLine = readLine(in);
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new EOFException("the body ended early");
        }
        return new RawResponse(status, headers, body);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection closed mid-response");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }
}
