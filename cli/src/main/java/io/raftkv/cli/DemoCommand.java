package io.raftkv.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code raftkv demo}: a local cluster of separate server processes, for trying raftkv out. Running it again
 * restarts the same cluster with its data.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Starts a local cluster as separate server processes (data under --data-dir),",
                "waits until a leader is elected, prints where everything is and example commands,",
                "and runs until Ctrl-C, then stops the nodes cleanly. Run it again to restart the same cluster."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--nodes", defaultValue = "3", description = "Cluster size, 1 to 9 (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--data-dir", defaultValue = "data", description = "Where the nodes keep data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--peer-port", defaultValue = "7001", description = "First peer port (default: ${DEFAULT-VALUE}).")
    int peerPort;

    @Option(names = "--client-port", defaultValue = "8001", description = "First client port (default: ${DEFAULT-VALUE}).")
    int clientPort;

    @Option(names = "--http-port", defaultValue = "9001", description = "First HTTP port (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--wait-seconds", defaultValue = "60",
            description = "How long to wait for a leader before giving up (default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("--nodes must be 1 to 9, got " + nodes);
        }
        Files.createDirectories(dataDir);
        StringBuilder cluster = new StringBuilder();
        for (int i = 1; i <= nodes; i++) {
            cluster.append(i > 1 ? "," : "").append('n').append(i).append('=').append(host).append(':')
                    .append(peerPort + i - 1);
        }
        List<Process> processes = new ArrayList<>();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll(processes);
            stop.countDown();
        }, "raftkv-demo-stop"));
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("java.class.path");
        for (int i = 1; i <= nodes; i++) {
            String id = "n" + i;
            List<String> cmd = List.of(java, "-Xmx512m", "-cp", classpath, RaftkvCommand.class.getName(), "server",
                    "--id", id, "--cluster-id", "demo", "--data-dir", dataDir.resolve(id).toString(),
                    "--peer-address", host + ":" + (peerPort + i - 1),
                    "--client-address", host + ":" + (clientPort + i - 1),
                    "--http-address", host + ":" + (httpPort + i - 1),
                    "--initial-cluster", cluster.toString(), "--enable-fault-injection");
            File log = dataDir.resolve(id + ".log").toFile();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
            processes.add(p);
            System.out.println("started " + id + " (pid " + p.pid() + "), log " + log);
        }
        String leader = awaitLeader(processes);
        if (leader == null) {
            System.err.println("raftkv demo: no leader within " + waitSeconds + " s; see the logs in " + dataDir);
            stopAll(processes);
            return 1;
        }
        System.out.println();
        System.out.println("cluster 'demo' is up, leader " + leader + ":");
        for (int i = 1; i <= nodes; i++) {
            System.out.printf("  n%d  peers %s:%d  clients %s:%d  http http://%s:%d%n", i, host, peerPort + i - 1,
                    host, clientPort + i - 1, host, httpPort + i - 1);
        }
        System.out.println();
        System.out.println("try:");
        System.out.println("  bin/raftkv put greeting hello");
        System.out.println("  bin/raftkv get greeting");
        System.out.println("  bin/raftkv status");
        System.out.printf("  curl -X PUT --data-binary world http://%s:%d/v1/kv/greeting%n", host, httpPort);
        System.out.printf("  curl http://%s:%d/v1/kv/greeting%n", host, httpPort + Math.min(1, nodes - 1));
        System.out.printf("  curl http://%s:%d/v1/status%n", host, httpPort);
        System.out.println("  kill -9 <the leader's pid> and watch another node take over (bin/raftkv status)");
        System.out.println("  bin/raftkv fault isolate --node 127.0.0.1:" + httpPort + "   (then: bin/raftkv fault heal --node ...)");
        System.out.println();
        System.out.println("Ctrl-C stops the cluster; running bin/raftkv demo again restarts it with its data.");
        System.out.flush();
        for (Process p : processes) {
            p.onExit().thenRun(() -> {
                if (stop.getCount() > 0) {
                    System.out.println("node process " + p.pid() + " exited with status " + p.exitValue());
                }
            });
        }
        stop.await();
        return 0;
    }

    /** Polls every node's HTTP status until all agree on one leader; returns its id, or null at the deadline. */
    private String awaitLeader(List<Process> processes) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        while (System.nanoTime() < deadline) {
            String agreed = null;
            boolean all = true;
            for (int i = 1; i <= nodes && all; i++) {
                if (!processes.get(i - 1).isAlive()) {
                    System.err.println("node n" + i + " exited (status " + processes.get(i - 1).exitValue()
                            + "); see " + dataDir.resolve("n" + i + ".log"));
                    return null;
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":"
                            + (httpPort + i - 1) + "/v1/status")).timeout(Duration.ofSeconds(1)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    JsonNode s = json.readTree(r.body());
                    String leader = s.path("leader").isNull() ? null : s.path("leader").asText(null);
                    if (leader == null || leader.isEmpty() || (agreed != null && !agreed.equals(leader))) {
                        all = false;
                    }
                    agreed = leader;
                } catch (IOException e) {
                    all = false; // not listening yet
                }
            }
            if (all && agreed != null) {
                return agreed;
            }
            // Polling an external process: there is no event to wait on, so wait a little between polls.
            TimeUnit.MILLISECONDS.sleep(200);
        }
        return null;
    }

    private static void stopAll(List<Process> processes) {
        for (Process p : processes) {
            p.destroy(); // SIGTERM: the node's shutdown hook closes it cleanly
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
