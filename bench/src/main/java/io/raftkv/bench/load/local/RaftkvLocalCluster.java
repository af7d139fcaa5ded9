package io.raftkv.bench.load.local;

import io.raftkv.bench.load.target.BenchTarget;
import io.raftkv.bench.load.target.RaftkvTarget;
import io.raftkv.cli.torture.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Three (or more) {@code raftkv server} processes on loopback, as {@code bin/raftkv demo} starts them but on free
 * ports and in a fresh directory, with fault injection off.
 */
public final class RaftkvLocalCluster extends ProcessBackedCluster {

    private final List<String> clientEndpoints = new ArrayList<>();
    private final List<String> httpEndpoints = new ArrayList<>();

    private RaftkvLocalCluster(Path directory, int size) {
        super(directory, size);
    }

    /**
     * Starts the members in {@code directory} (data in {@code n1/}, ..., logs in {@code n1.log}, ...).
     *
     * @param server how to run {@code raftkv server}: the command up to and excluding "server"
     */
    public static RaftkvLocalCluster start(Path directory, int size, List<String> server) throws IOException {
        Files.createDirectories(directory);
        RaftkvLocalCluster c = new RaftkvLocalCluster(directory, size);
        try {
            c.startMembers(server);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    private void startMembers(List<String> server) throws IOException {
        FreePorts ports = new FreePorts();
        List<String> peers = new ArrayList<>();
        StringBuilder initial = new StringBuilder();
        for (int i = 1; i <= size(); i++) {
            String peer = "127.0.0.1:" + ports.next();
            peers.add(peer);
            clientEndpoints.add("127.0.0.1:" + ports.next());
            httpEndpoints.add("127.0.0.1:" + ports.next());
            initial.append(i > 1 ? "," : "").append('n').append(i).append('=').append(peer);
        }
        for (int i = 1; i <= size(); i++) {
            List<String> cmd = new ArrayList<>(server);
            cmd.addAll(List.of("server", "--id", "n" + i, "--cluster-id", "bench",
                    "--data-dir", directory().resolve("n" + i).toString(), "--peer-address", peers.get(i - 1),
                    "--client-address", clientEndpoints.get(i - 1), "--http-address", httpEndpoints.get(i - 1),
                    "--initial-cluster", initial.toString()));
            processes.start("n" + i, cmd);
        }
    }

    @Override
    public String name() {
        return "raftkv";
    }

    @Override
    public BenchTarget target(Duration requestTimeout) {
        return new RaftkvTarget(clientEndpoints, httpEndpoints, requestTimeout);
    }
}
