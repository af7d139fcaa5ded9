package io.raftkv.cli.membership;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.cli.RaftkvCommand;
import io.raftkv.cli.torture.FreePorts;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code raftkv server} processes started one by one, each with its own command line: members of a new cluster
 * ({@code --initial-cluster}), nodes that {@code --join} a running one, or idle nodes waiting to be added.
 */
final class MemberProcesses implements AutoCloseable {

    /** One node process and its ports. */
    record Node(String id, int peerPort, int clientPort, int httpPort, Process process) {
        String http() {
            return "127.0.0.1:" + httpPort;
        }

        String peer() {
            return "127.0.0.1:" + peerPort;
        }
    }

    private final Path dir;
    private final FreePorts ports = new FreePorts();
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final ObjectMapper json = new ObjectMapper();

    MemberProcesses(Path dir) {
        this.dir = dir;
    }

    /** Starts the members of a new cluster. */
    List<Node> startCluster(String clusterId, String... ids) throws IOException {
        Map<String, int[]> allocated = new LinkedHashMap<>();
        StringBuilder cluster = new StringBuilder();
        for (String id : ids) {
            int[] p = {ports.next(), ports.next(), ports.next()};
            allocated.put(id, p);
            cluster.append(cluster.length() > 0 ? "," : "").append(id).append("=127.0.0.1:").append(p[0]);
        }
        List<Node> started = new ArrayList<>();
        for (Map.Entry<String, int[]> e : allocated.entrySet()) {
            started.add(launch(e.getKey(), e.getValue(), List.of("--cluster-id", clusterId, "--initial-cluster",
                    cluster.toString())));
        }
        return started;
    }

    /** Starts a node with an empty data directory that joins the cluster through {@code via}. */
    Node startJoining(String id, List<Node> via) throws IOException {
        return launch(id, new int[] {ports.next(), ports.next(), ports.next()},
                List.of("--join", String.join(",", via.stream().map(Node::http).toList())));
    }

    /** Starts a node with {@code extraArgs} only (none: an idle node waiting to be added). */
    Node start(String id, List<String> extraArgs) throws IOException {
        return launch(id, new int[] {ports.next(), ports.next(), ports.next()}, extraArgs);
    }

    private Node launch(String id, int[] p, List<String> extra) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                RaftkvCommand.class.getName(), "server", "--id", id, "--data-dir", dir.resolve(id).toString(),
                "--peer-address", "127.0.0.1:" + p[0], "--client-address", "127.0.0.1:" + p[1],
                "--http-address", "127.0.0.1:" + p[2]));
        cmd.addAll(extra);
        File log = dir.resolve(id + ".log").toFile();
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        Node n = new Node(id, p[0], p[1], p[2], process);
        nodes.put(id, n);
        return n;
    }

    Path log(String id) {
        return dir.resolve(id + ".log");
    }

    /** SIGKILL. */
    void kill(Node n) throws InterruptedException {
        n.process().toHandle().destroyForcibly();
        n.process().waitFor();
    }

    /** An HTTP request to node {@code n}; null if it did not answer. */
    Answer call(Node n, String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + n.http() + path))
                    .timeout(Duration.ofSeconds(30));
            b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                    : b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode j;
            try {
                j = json.readTree(r.body().isEmpty() ? "{}" : r.body());
            } catch (IOException notJson) {
                j = json.createObjectNode().put("raw", r.body());
            }
            return new Answer(r.statusCode(), j);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A node's answer. */
    record Answer(int status, JsonNode body) {
    }

    /** {@code GET /v1/cluster/members} of {@code n}, or null. */
    JsonNode members(Node n) {
        Answer a = call(n, "GET", "/v1/cluster/members", null);
        return a != null && a.status() == 200 ? a.body() : null;
    }

    /** {@code GET /v1/status} of {@code n}, or null. */
    JsonNode status(Node n) {
        Answer a = call(n, "GET", "/v1/status", null);
        return a != null && a.status() == 200 ? a.body() : null;
    }

    /** The node among {@code among} that they all agree leads, or null. */
    Node leader(List<Node> among) {
        String agreed = null;
        for (Node n : among) {
            JsonNode s = status(n);
            if (s == null || s.path("leader").isNull()) {
                return null;
            }
            String l = s.path("leader").asText();
            if (agreed != null && !agreed.equals(l)) {
                return null;
            }
            agreed = l;
        }
        String leaderId = agreed;
        return among.stream().filter(n -> n.id().equals(leaderId)).findFirst().orElse(null);
    }

    /** The voters and learners in {@code n}'s configuration, as "id:role" strings in id order. */
    List<String> roles(Node n) {
        JsonNode m = members(n);
        List<String> out = new ArrayList<>();
        if (m != null) {
            m.path("members").forEach(x -> out.add(x.path("id").asText() + ":" + x.path("role").asText()));
        }
        out.sort(null);
        return out;
    }

    @Override
    public void close() {
        for (Node n : nodes.values()) {
            n.process().toHandle().destroyForcibly();
        }
    }
}
