package io.raftkv.cli.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.cli.RaftkvCommand;
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

/**
 * A cluster of real {@code raftkv server} processes (the same entry point bin/raftkv runs) on loopback, with
 * fault injection enabled: start, SIGKILL, SIGSTOP/SIGCONT, restart, inject faults through each node's HTTP API,
 * and read each node's status.
 */
final class ProcessCluster implements AutoCloseable {

    private final Path dir;
    private final int size;
    private final int[] peerPorts;
    private final int[] clientPorts;
    private final int[] httpPorts;
    private final Process[] processes;
    private final boolean[] stopped;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final ObjectMapper json = new ObjectMapper();

    ProcessCluster(Path dir, int size) throws IOException {
        this.dir = dir;
        this.size = size;
        this.peerPorts = new int[size];
        this.clientPorts = new int[size];
        this.httpPorts = new int[size];
        this.processes = new Process[size];
        this.stopped = new boolean[size];
        FreePorts ports = new FreePorts();
        for (int i = 0; i < size; i++) {
            peerPorts[i] = ports.next();
            clientPorts[i] = ports.next();
            httpPorts[i] = ports.next();
        }
    }

    int size() {
        return size;
    }

    String id(int i) {
        return "n" + (i + 1);
    }

    /** Client endpoints, comma-separated. */
    String clientEndpoints() {
        List<String> e = new ArrayList<>();
        for (int p : clientPorts) {
            e.add("127.0.0.1:" + p);
        }
        return String.join(",", e);
    }

    void start(int i) throws IOException {
        StringBuilder cluster = new StringBuilder();
        for (int j = 0; j < size; j++) {
            cluster.append(j > 0 ? "," : "").append(id(j)).append("=127.0.0.1:").append(peerPorts[j]);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
                RaftkvCommand.class.getName(), "server", "--id", id(i), "--cluster-id", "torture",
                "--data-dir", dir.resolve(id(i)).toString(), "--peer-address", "127.0.0.1:" + peerPorts[i],
                "--client-address", "127.0.0.1:" + clientPorts[i], "--http-address", "127.0.0.1:" + httpPorts[i],
                "--initial-cluster", cluster.toString(), "--enable-fault-injection");
        File log = dir.resolve(id(i) + ".log").toFile();
        processes[i] = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        stopped[i] = false;
    }

    boolean alive(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    /** SIGKILL: no shutdown hook, no flush. */
    void kill(int i) throws InterruptedException {
        if (alive(i)) {
            processes[i].toHandle().destroyForcibly();
            processes[i].waitFor();
        }
    }

    /** SIGSTOP or SIGCONT. */
    void signal(int i, boolean stop) throws IOException, InterruptedException {
        if (alive(i)) {
            new ProcessBuilder("kill", stop ? "-STOP" : "-CONT", Long.toString(processes[i].pid())).start().waitFor();
            stopped[i] = stop;
        }
    }

    boolean stopped(int i) {
        return stopped[i];
    }

    /** Sends a fault request to node i; false if it could not be delivered. */
    boolean fault(int i, String method, String action, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts[i] + "/v1/fault"
                    + action)).timeout(Duration.ofSeconds(3));
            b = method.equals("DELETE") ? b.DELETE() : b.POST(HttpRequest.BodyPublishers.ofString(body));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    JsonNode status(int i) {
        if (!alive(i) || stopped[i]) {
            return null;
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts[i]
                    + "/v1/status")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? json.readTree(r.body()) : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    /** Index of the node the reachable nodes agree leads, or -1. */
    int leader() {
        String agreed = null;
        for (int i = 0; i < size; i++) {
            JsonNode s = status(i);
            if (s == null) {
                continue;
            }
            String l = s.path("leader").isNull() ? null : s.path("leader").asText(null);
            if (l == null || (agreed != null && !agreed.equals(l))) {
                return -1;
            }
            agreed = l;
        }
        return agreed == null ? -1 : Integer.parseInt(agreed.substring(1)) - 1;
    }

    /** True when every node runs, agrees on a leader, and has applied everything the leader committed. */
    boolean settled() {
        int l = leader();
        if (l < 0) {
            return false;
        }
        JsonNode ls = status(l);
        if (ls == null) {
            return false;
        }
        long commit = ls.path("commitIndex").asLong();
        for (int i = 0; i < size; i++) {
            JsonNode s = status(i);
            if (s == null || s.path("appliedIndex").asLong() < commit) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (int i = 0; i < size; i++) {
            if (processes[i] != null) {
                processes[i].toHandle().destroyForcibly();
            }
        }
    }
}
