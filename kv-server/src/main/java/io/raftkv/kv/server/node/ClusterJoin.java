package io.raftkv.kv.server.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.core.NodeId;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node started with {@code --join} enters a running cluster, through the members' HTTP API: first it
 * asks which cluster they form (so that its data directory is created for, or checked against, that cluster
 * id), then, once its own endpoints are up, it asks to be added as a voter. The leader adds it as a learner,
 * sends it the log or a snapshot, and promotes it once it has caught up; the request is repeated (at the next
 * address when one is not the leader) until that has happened or the node stops.
 */
final class ClusterJoin {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterJoin.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long one add request may wait for the learner to catch up before it is asked again. */
    private static final Duration ADD_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

    private final List<String> endpoints;
    private final HttpClient http;

    ClusterJoin(List<String> endpoints) {
        this.endpoints = List.copyOf(endpoints);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * The cluster id of the cluster at {@link #endpoints}: the first member that answers says.
     *
     * @throws IOException naming every address tried, if none answers within {@code patience}
     */
    String clusterId(Duration patience) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        StringBuilder failures = new StringBuilder();
        while (true) {
            failures.setLength(0);
            for (String e : endpoints) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(e, "/v1/cluster/members"))
                            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        JsonNode id = JSON.readTree(r.body()).path("clusterId");
                        if (id.isTextual()) {
                            return id.asText();
                        }
                        failures.append(e).append(": its answer names no clusterId; ");
                    } else {
                        failures.append(e).append(": HTTP ").append(r.statusCode()).append("; ");
                    }
                } catch (IOException ex) {
                    failures.append(e).append(": ").append(ex.getMessage() == null ? ex.toString() : ex.getMessage())
                            .append("; ");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("could not learn the cluster id from any --join address (" + failures
                        + "); check that they are the HTTP addresses of running members");
            }
            Thread.sleep(RETRY_PAUSE.toMillis()); // a pause between rounds of attempts, not a wait for a condition
        }
    }

    /**
     * Asks the cluster to add {@code self}, reached at {@code peerAddress}, as a voter; returns once it is one,
     * or when {@code stopped} says the node is shutting down.
     */
    void requestMembership(NodeId self, String peerAddress, BooleanSupplier stopped) throws InterruptedException {
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("id", self.value(), "peerAddress", peerAddress, "role", "voter",
                    "timeoutMs", ADD_TIMEOUT.toMillis()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        long started = System.nanoTime();
        int next = 0;
        while (!stopped.getAsBoolean()) {
            String e = endpoints.get(next);
            next = (next + 1) % endpoints.size();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(e, "/v1/cluster/members"))
                                .timeout(ADD_TIMEOUT.plusMinutes(1)).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode answer = JSON.readTree(r.body());
                if (r.statusCode() == 200) {
                    LOG.info("node {} joined cluster as a voter ({} ms after asking {})", self,
                            (System.nanoTime() - started) / 1_000_000, e);
                    return;
                }
                String code = answer.path("error").asText("");
                String message = answer.path("message").asText(r.body());
                if (r.statusCode() == 400 && message.contains("already a voter")) {
                    LOG.info("node {} is already a voter", self);
                    return;
                }
                if (r.statusCode() == 400) {
                    LOG.error("node {} cannot join through {}: {} (not retried; fix and restart)", self, e, message);
                    return;
                }
                LOG.info("node {}: join request to {} answered {} {}: {}; asking again{}", self, e, r.statusCode(),
                        code, message, code.equals("not_leader") && endpoints.size() == 1
                                ? " (only the leader can add a node: give --join the HTTP addresses of several "
                                + "members, or the leader's)" : "");
            } catch (IOException ex) {
                LOG.info("node {}: join request to {} failed: {}; asking again", self, e, ex.toString());
            }
            Thread.sleep(RETRY_PAUSE.toMillis()); // pacing between attempts
        }
    }

    private static URI uri(String hostPort, String path) {
        return URI.create("http://" + hostPort + path);
    }
}
