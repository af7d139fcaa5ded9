package io.raftkv.bench.load.target;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.kv.client.ClusterStatus;
import io.raftkv.kv.client.Consistency;
import io.raftkv.kv.client.Endpoint;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvClientException;
import io.raftkv.kv.client.NodeStatus;
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

/**
 * raftkv through its Java client. Status comes from the client protocol (role, term, commit and applied index);
 * when the members' HTTP addresses are known, every number in their {@code /v1/status} is read too, so counters
 * the server exposes there appear in the server side's view.
 */
public final class RaftkvTarget implements BenchTarget {

    /**
     * The figures the report derives from server counters (see docs/http-api.md, {@code metrics}); without the
     * members' HTTP addresses the report lists them as not read. Each is read from {@code /v1/status} under the
     * dotted path given here.
     */
    static final List<ServerFigure> FIGURES = List.of(
            new ServerFigure("entries per fsync", "metrics.storage.entriesPersisted", "metrics.storage.fsyncs", 1),
            new ServerFigure("fsync mean ms", "metrics.storage.fsyncNanos", "metrics.storage.fsyncs", 1e-6),
            new ServerFigure("entries per append", "metrics.replication.entriesSent",
                    "metrics.replication.appendsSent", 1),
            new ServerFigure("commit latency mean ms", "metrics.commit.latencyNanos", "metrics.commit.entries", 1e-6),
            new ServerFigure("proposals per loop turn", "metrics.loop.proposals", "metrics.loop.turns", 1),
            new ServerFigure("reads per ReadIndex round", "metrics.read.reads", "metrics.read.rounds", 1),
            new ServerFigure("entries per apply batch", "metrics.apply.entries", "metrics.apply.batches", 1));

    private final List<String> members;
    private final List<String> httpEndpoints;
    private final Duration requestTimeout;
    private final KvClient statusClient;
    private final HttpFetcher http = new HttpFetcher();
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param members        client-protocol endpoints of every member ({@code host:port})
     * @param httpEndpoints  their HTTP addresses ({@code host:port}), or empty if unknown
     * @param requestTimeout the deadline of every benchmark request
     */
    public RaftkvTarget(List<String> members, List<String> httpEndpoints, Duration requestTimeout) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("raftkv: at least one endpoint is needed");
        }
        members.forEach(Endpoint::parse); // a typo fails here, with the endpoint named
        this.members = List.copyOf(members);
        this.httpEndpoints = List.copyOf(httpEndpoints);
        this.requestTimeout = requestTimeout;
        this.statusClient = KvClient.builder().endpoints(String.join(",", members))
                .requestTimeout(Duration.ofSeconds(2)).build();
    }

    @Override
    public String name() {
        return "raftkv";
    }

    @Override
    public List<String> members() {
        return members;
    }

    @Override
    public Set<ReadConsistency> readConsistencies() {
        return EnumSet.allOf(ReadConsistency.class);
    }

    @Override
    public List<ServerFigure> serverFigures() {
        return FIGURES;
    }

    @Override
    public ClusterSnapshot snapshot() {
        long now = System.nanoTime();
        ClusterStatus status;
        try {
            status = statusClient.clusterStatus().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ClusterSnapshot(now, List.of(), Map.of("*", "interrupted"));
        } catch (ExecutionException e) {
            return new ClusterSnapshot(now, List.of(), Map.of("*", String.valueOf(e.getCause())));
        }
        Map<String, Map<String, Double>> countersById = httpCounters();
        List<NodeSnapshot> nodes = new ArrayList<>();
        status.nodes().forEach((endpoint, s) -> nodes.add(node(endpoint, s,
                countersById.getOrDefault(s.id(), Map.of()))));
        Map<String, String> unreachable = new HashMap<>();
        status.failures().forEach((endpoint, e) -> unreachable.put(endpoint.toString(), e.getMessage()));
        return new ClusterSnapshot(now, nodes, unreachable);
    }

    private static NodeSnapshot node(Endpoint endpoint, NodeStatus s, Map<String, Double> counters) {
        return new NodeSnapshot(endpoint.toString(), s.id(), s.role(), s.term(), s.leaderId(), s.commitIndex(),
                s.appliedIndex(), counters);
    }

    /** Every number in each reachable member's {@code /v1/status}, by the member's id. */
    private Map<String, Map<String, Double>> httpCounters() {
        Map<String, Map<String, Double>> out = new HashMap<>();
        for (String h : httpEndpoints) {
            String body = http.get("http://" + h + "/v1/status");
            if (body == null) {
                continue;
            }
            try {
                JsonNode root = json.readTree(body);
                out.put(root.path("id").asText(), JsonNumbers.flatten(root));
            } catch (IOException e) {
                // an unreadable status page: no counters for that member this time
            }
        }
        return out;
    }

    @Override
    public TargetConnection connect(List<String> endpoints, int clients) {
        KvClient client = KvClient.builder().endpoints(String.join(",", endpoints)).requestTimeout(requestTimeout)
                // One session per benchmark client: a session carries one write at a time, so fewer sessions
                // than clients would make the client library, not the cluster, the limit.
                .maxSessions(Math.max(1, clients)).build();
        return new Connection(client);
    }

    @Override
    public void close() {
        statusClient.close();
    }

    private record Connection(KvClient client) implements TargetConnection {

        @Override
        public CompletableFuture<?> put(byte[] key, byte[] value) {
            return client.put(key, value);
        }

        @Override
        public CompletableFuture<?> get(byte[] key, ReadConsistency consistency) {
            return client.get(key, switch (consistency) {
                case LINEARIZABLE -> Consistency.LINEARIZABLE;
                case LEASE -> Consistency.LEASE;
                case STALE -> Consistency.STALE;
            });
        }

        @Override
        public String errorKind(Throwable failure) {
            Throwable t = failure;
            while (t instanceof CompletionException && t.getCause() != null) {
                t = t.getCause();
            }
            return t instanceof KvClientException k ? k.code().name() : t.getClass().getSimpleName();
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
