package io.raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster as a user runs it: three {@code raftkv server} processes (the entry point bin/raftkv runs),
 * continuous writes from several clients through the HTTP API, and the leader killed with SIGKILL and later
 * restarted, twice. Afterwards every acknowledged write must be readable from every node and the restarted
 * nodes must have caught up.
 */
class ProcessClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private final int[] peerPorts = new int[3];
    private final int[] httpPorts = new int[3];
    private final int[] clientPorts = new int[3];
    private final Process[] processes = new Process[3];

    private final io.raftkv.cli.torture.FreePorts ports = new io.raftkv.cli.torture.FreePorts();

    private int freePort() throws IOException {
        return ports.next();
    }

    private void startNode(int i) throws IOException {
        StringBuilder cluster = new StringBuilder();
        for (int j = 0; j < 3; j++) {
            cluster.append(j > 0 ? "," : "").append("n").append(j + 1).append("=127.0.0.1:").append(peerPorts[j]);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                RaftkvCommand.class.getName(), "server", "--id", "n" + (i + 1), "--cluster-id", "proc",
                "--data-dir", dir.resolve("n" + (i + 1)).toString(),
                "--peer-address", "127.0.0.1:" + peerPorts[i], "--client-address", "127.0.0.1:" + clientPorts[i],
                "--http-address", "127.0.0.1:" + httpPorts[i], "--initial-cluster", cluster.toString());
        File log = dir.resolve("n" + (i + 1) + ".log").toFile();
        processes[i] = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
    }

    private JsonNode status(int i) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts[i]
                    + "/v1/status")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? json.readTree(r.body()) : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    /** Index of the node every live node names as leader, or -1. */
    private int agreedLeader() {
        String agreed = null;
        for (int i = 0; i < 3; i++) {
            if (processes[i] == null || !processes[i].isAlive()) {
                continue;
            }
            JsonNode s = status(i);
            String l = s == null || s.path("leader").isNull() ? null : s.path("leader").asText();
            if (l == null || (agreed != null && !agreed.equals(l))) {
                return -1;
            }
            agreed = l;
        }
        return agreed == null ? -1 : Integer.parseInt(agreed.substring(1)) - 1;
    }

    private boolean put(int node, String key, String value) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts[node]
                    + "/v1/kv/" + key)).timeout(Duration.ofSeconds(5)).PUT(HttpRequest.BodyPublishers.ofString(value))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void killingTheLeaderTwiceUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        for (int i = 0; i < 3; i++) {
            peerPorts[i] = freePort();
            httpPorts[i] = freePort();
            clientPorts[i] = freePort();
        }
        for (int i = 0; i < 3; i++) {
            startNode(i);
        }
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            await().atMost(DEADLINE).until(() -> agreedLeader() >= 0);
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.submit(() -> {
                    int n = 0;
                    while (writing.get()) {
                        String key = "w" + writer + "-" + n++;
                        if (put(n % 3, key, "v")) {
                            acknowledged.add(key); // only answers of 200 count as acknowledged
                        }
                    }
                });
            }
            for (int round = 0; round < 2; round++) {
                int before = acknowledged.size();
                await().atMost(DEADLINE).until(() -> acknowledged.size() >= before + 50);
                await().atMost(DEADLINE).until(() -> agreedLeader() >= 0);
                int leader = agreedLeader();
                processes[leader].toHandle().destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
                assertThat(processes[leader].waitFor(10, TimeUnit.SECONDS)).isTrue();
                int killed = leader;
                await().atMost(DEADLINE).until(() -> {
                    int l = agreedLeader();
                    return l >= 0 && l != killed;
                });
                int afterFailover = acknowledged.size();
                await().atMost(DEADLINE).until(() -> acknowledged.size() >= afterFailover + 50);
                startNode(killed); // same data directory and ports
                await().atMost(DEADLINE).until(() -> status(killed) != null);
            }
            writing.set(false);
            writers.shutdown();
            assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            // Every node, the restarted ones included, catches up and holds every acknowledged write.
            await().atMost(DEADLINE).until(() -> {
                int l = agreedLeader();
                if (l < 0) {
                    return false;
                }
                long commit = status(l).path("commitIndex").asLong();
                for (int i = 0; i < 3; i++) {
                    JsonNode s = status(i);
                    if (s == null || s.path("appliedIndex").asLong() < commit) {
                        return false;
                    }
                }
                return true;
            });
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                for (String key : acknowledged) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + httpPorts[i] + "/v1/kv/" + key + "?consistency=stale")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        missing.add(key + "@n" + (i + 1));
                    }
                }
            }
            System.out.println("process cluster: " + acknowledged.size() + " acknowledged writes, 2 leader kills, "
                    + missing.size() + " missing");
            assertThat(missing).as("acknowledged writes missing after two leader kills").isEmpty();
        } finally {
            writing.set(false);
            writers.shutdownNow();
            for (Process p : processes) {
                if (p != null) {
                    p.toHandle().destroyForcibly();
                }
            }
        }
    }
}
