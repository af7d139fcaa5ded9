package io.raftkv.bench.load.local;

import io.raftkv.bench.load.target.BenchTarget;
import io.raftkv.bench.load.target.EtcdTarget;
import io.raftkv.cli.torture.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Three (or more) etcd processes on loopback, started like {@link RaftkvLocalCluster}: free ports, data in
 * {@code e1/}, ..., logs in {@code e1.log}, ... of a fresh directory. etcd runs with its defaults (fsync on,
 * 100 ms heartbeat, 1 s election timeout) except for a backend quota large enough that a long benchmark never
 * fills it (etcd keeps every revision until compacted).
 */
public final class EtcdLocalCluster extends ProcessBackedCluster {

    private static final long QUOTA_BYTES = 8L << 30;

    private final List<String> clientUrls = new ArrayList<>();

    private EtcdLocalCluster(Path directory, int size) {
        super(directory, size);
    }

    /** Starts the members with the {@code etcd} binary given (a path, or a name looked up on the PATH). */
    public static EtcdLocalCluster start(Path directory, int size, String etcd) throws IOException {
        Files.createDirectories(directory);
        EtcdLocalCluster c = new EtcdLocalCluster(directory, size);
        try {
            c.startMembers(etcd);
        } catch (IOException e) {
            c.close();
            throw new IOException("cannot start etcd ('" + etcd + "'): " + e.getMessage()
                    + "; install it with scripts/install-etcd.sh or name it with --etcd-binary", e);
        }
        return c;
    }

    private void startMembers(String etcd) throws IOException {
        FreePorts ports = new FreePorts();
        List<String> peerUrls = new ArrayList<>();
        StringBuilder initial = new StringBuilder();
        for (int i = 1; i <= size(); i++) {
            clientUrls.add("http://127.0.0.1:" + ports.next());
            peerUrls.add("http://127.0.0.1:" + ports.next());
            initial.append(i > 1 ? "," : "").append('e').append(i).append('=').append(peerUrls.get(i - 1));
        }
        for (int i = 1; i <= size(); i++) {
            String name = "e" + i;
            processes.start(name, List.of(etcd, "--name", name, "--data-dir", directory().resolve(name).toString(),
                    "--listen-client-urls", clientUrls.get(i - 1), "--advertise-client-urls", clientUrls.get(i - 1),
                    "--listen-peer-urls", peerUrls.get(i - 1), "--initial-advertise-peer-urls", peerUrls.get(i - 1),
                    "--initial-cluster", initial.toString(), "--initial-cluster-token", "raftkv-bench",
                    "--initial-cluster-state", "new", "--quota-backend-bytes", Long.toString(QUOTA_BYTES),
                    "--logger", "zap", "--log-outputs", "stderr"));
        }
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public BenchTarget target(Duration requestTimeout) {
        return new EtcdTarget(clientUrls, requestTimeout);
    }
}
