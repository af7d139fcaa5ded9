package io.raftkv.bench.load.target;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * etcd through jetcd, the official Java client. Puts are plain puts; a linearizable get is etcd's default range
 * request, a stale get is a serializable one ({@code serializable=true}); etcd has no lease reads.
 *
 * <p>Status and counters come over plain HTTP from each member's client URL: {@code /v3/maintenance/status}
 * (etcd's JSON gateway: member id, leader, term, raft index) and {@code /metrics} (fsync and proposal counters).
 */
public final class EtcdTarget implements BenchTarget {

    private static final String FSYNCS = "etcd_disk_wal_fsync_duration_seconds_count";
    private static final String FSYNC_SECONDS = "etcd_disk_wal_fsync_duration_seconds_sum";
    private static final String COMMITTED = "etcd_server_proposals_committed_total";
    private static final String BACKEND_COMMITS = "etcd_disk_backend_commit_duration_seconds_count";
    private static final String BACKEND_COMMIT_SECONDS = "etcd_disk_backend_commit_duration_seconds_sum";
    private static final Set<String> COUNTERS = Set.of(FSYNCS, FSYNC_SECONDS, COMMITTED, BACKEND_COMMITS,
            BACKEND_COMMIT_SECONDS);

    static final List<ServerFigure> FIGURES = List.of(
            new ServerFigure("entries per fsync", COMMITTED, FSYNCS, 1),
            new ServerFigure("fsync mean ms", FSYNC_SECONDS, FSYNCS, 1e3),
            new ServerFigure("backend commit mean ms", BACKEND_COMMIT_SECONDS, BACKEND_COMMITS, 1e3));

    private static final GetOption STALE = GetOption.builder().withSerializable(true).build();

    private final List<String> members;
    private final Duration requestTimeout;
    private final HttpFetcher http = new HttpFetcher();
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param members        client URLs of every member ({@code http://host:port}; a bare {@code host:port} gets
     *                       {@code http://})
     * @param requestTimeout how long a benchmark request may take before it counts as failed (jetcd itself has
     *                       no deadline)
     */
    public EtcdTarget(List<String> members, Duration requestTimeout) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("etcd: at least one endpoint is needed");
        }
        this.members = members.stream().map(m -> m.contains("://") ? m : "http://" + m).toList();
        this.requestTimeout = requestTimeout;
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public List<String> members() {
        return members;
    }

    @Override
    public Set<ReadConsistency> readConsistencies() {
        return EnumSet.of(ReadConsistency.LINEARIZABLE, ReadConsistency.STALE);
    }

    @Override
    public List<ServerFigure> serverFigures() {
        return FIGURES;
    }

    @Override
    public ClusterSnapshot snapshot() {
        long now = System.nanoTime();
        List<NodeSnapshot> nodes = new ArrayList<>();
        Map<String, String> unreachable = new HashMap<>();
        for (String m : members) {
            String body = http.post(m + "/v3/maintenance/status", "{}");
            if (body == null) {
                unreachable.put(m, "no answer to /v3/maintenance/status");
                continue;
            }
            try {
                JsonNode s = json.readTree(body);
                // The JSON gateway writes 64-bit ids and counters as decimal strings.
                String id = hex(s.path("header").path("member_id").asText("0"));
                String leader = hex(s.path("leader").asText("0"));
                long term = Long.parseLong(s.path("raftTerm").asText("0"));
                long index = Long.parseLong(s.path("raftIndex").asText("0"));
                long applied = Long.parseLong(s.path("raftAppliedIndex").asText(String.valueOf(index)));
                String metrics = http.get(m + "/metrics");
                Map<String, Double> counters = metrics == null ? Map.of() : PrometheusText.read(metrics, COUNTERS);
                nodes.add(new NodeSnapshot(m, id, id.equals(leader) ? "leader" : "follower", term,
                        "0".equals(leader) ? null : leader, index, applied, counters));
            } catch (IOException | NumberFormatException e) {
                unreachable.put(m, "unreadable status: " + e.getMessage());
            }
        }
        return new ClusterSnapshot(now, nodes, unreachable);
    }

    private static String hex(String unsignedDecimal) {
        return Long.toHexString(Long.parseUnsignedLong(unsignedDecimal));
    }

    @Override
    public TargetConnection connect(List<String> endpoints, int clients) {
        List<String> urls = endpoints.stream().map(m -> m.contains("://") ? m : "http://" + m).toList();
        return new Connection(Client.builder().endpoints(urls.toArray(String[]::new)).build(), requestTimeout);
    }

    @Override
    public void close() {
        // Connections are closed by their users; status goes over plain HTTP and holds nothing open.
    }

    private static final class Connection implements TargetConnection {
        private final Client client;
        private final KV kv;
        private final long timeoutMillis;

        Connection(Client client, Duration requestTimeout) {
            this.client = client;
            this.kv = client.getKVClient();
            this.timeoutMillis = requestTimeout.toMillis();
        }

        @Override
        public CompletableFuture<?> put(byte[] key, byte[] value) {
            return kv.put(ByteSequence.from(key), ByteSequence.from(value))
                    .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public CompletableFuture<?> get(byte[] key, ReadConsistency consistency) {
            CompletableFuture<?> f = switch (consistency) {
                case LINEARIZABLE -> kv.get(ByteSequence.from(key));
                case STALE -> kv.get(ByteSequence.from(key), STALE);
                case LEASE -> throw new IllegalArgumentException("etcd has no lease reads");
            };
            return f.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public String errorKind(Throwable failure) {
            Throwable t = failure;
            while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof EtcdException e) {
                return e.getErrorCode().name();
            }
            return t instanceof TimeoutException ? "TIMEOUT" : t.getClass().getSimpleName();
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
