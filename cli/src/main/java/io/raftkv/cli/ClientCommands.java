package io.raftkv.cli;

import io.raftkv.kv.client.CasResult;
import io.raftkv.kv.client.ClusterStatus;
import io.raftkv.kv.client.Consistency;
import io.raftkv.kv.client.DeleteResult;
import io.raftkv.kv.client.Endpoint;
import io.raftkv.kv.client.KeyValue;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.NodeStatus;
import io.raftkv.kv.client.SnapshotTaken;
import io.raftkv.kv.client.ScanPage;
import io.raftkv.kv.client.VersionedValue;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The client commands. Each prints its result on stdout and exits 0 on success; on failure it prints one line
 * on stderr and exits non-zero (1: the operation did not succeed, e.g. key absent or comparison failed; 2: error).
 */
final class ClientCommands {

    private ClientCommands() {
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Command(name = "put", mixinStandardHelpOptions = true, description = "Sets KEY to VALUE; prints the new revision.")
    static final class Put implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Override
        public Integer call() {
            try (KvClient c = client.connect()) {
                System.out.println(c.blocking().put(key, value));
                return 0;
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Prints KEY's value (exit 1 if absent).")
    static final class Get implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Option(names = "--consistency", defaultValue = "linearizable",
                description = "linearizable, lease or stale (default: ${DEFAULT-VALUE}).")
        String consistency;
        @Option(names = "--revision", description = "Also print the revision (value<TAB>revision).")
        boolean revision;

        @Override
        public Integer call() {
            try (KvClient c = client.connect()) {
                Optional<VersionedValue> v = c.blocking().get(key, consistency(consistency));
                if (v.isEmpty()) {
                    System.err.println("raftkv get: " + key + ": not found");
                    return 1;
                }
                System.out.println(text(v.get().value()) + (revision ? "\t" + v.get().revision() : ""));
                return 0;
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes KEY (exit 1 if it was absent).")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            try (KvClient c = client.connect()) {
                DeleteResult r = c.blocking().delete(key);
                System.out.println(r.deleted() ? "deleted" : "not found");
                return r.deleted() ? 0 : 1;
            }
        }
    }

    @Command(name = "cas", mixinStandardHelpOptions = true,
            description = {"Sets KEY to NEW only if its value is EXPECTED; prints the revision.",
                    "Use --absent instead of EXPECTED to set it only if the key does not exist. Exit 1 if the comparison failed."})
    static final class Cas implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Option(names = "--absent", description = "Succeed only if KEY does not exist (then give KEY NEW only).")
        boolean absent;
        @Parameters(paramLabel = "KEY EXPECTED NEW", arity = "2..3")
        java.util.List<String> args;

        @Override
        public Integer call() {
            if (absent ? args.size() != 2 : args.size() != 3) {
                throw new IllegalArgumentException(absent ? "with --absent give KEY NEW" : "give KEY EXPECTED NEW");
            }
            try (KvClient c = client.connect()) {
                CasResult r = absent ? c.blocking().compareAndSet(args.get(0), null, args.get(1))
                        : c.blocking().compareAndSet(args.get(0), args.get(1), args.get(2));
                System.out.println((r.succeeded() ? "ok" : "failed") + " revision " + r.revision());
                return r.succeeded() ? 0 : 1;
            }
        }
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = "Prints the keys starting with PREFIX (key<TAB>value<TAB>revision), in key order.")
    static final class Scan implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Parameters(index = "0", paramLabel = "PREFIX", defaultValue = "")
        String prefix;
        @Option(names = "--limit", defaultValue = "100", description = "At most this many keys (default: ${DEFAULT-VALUE}).")
        int limit;
        @Option(names = "--consistency", defaultValue = "linearizable",
                description = "linearizable, lease or stale (default: ${DEFAULT-VALUE}).")
        String consistency;

        @Override
        public Integer call() {
            try (KvClient c = client.connect()) {
                ScanPage page = c.blocking().scanPrefix(prefix.getBytes(StandardCharsets.UTF_8), limit,
                        consistency(consistency));
                for (KeyValue kv : page.items()) {
                    System.out.println(text(kv.key()) + "\t" + text(kv.value()) + "\t" + kv.revision());
                }
                if (page.more()) {
                    System.err.println("(more keys match; raise --limit)");
                }
                return 0;
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "One line per node: id, role, term, commit and applied index, lag behind the leader.")
    static final class Status implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            try (KvClient c = client.connect()) {
                ClusterStatus cs = c.blocking().clusterStatus();
                long leaderCommit = cs.nodes().values().stream().filter(NodeStatus::isLeader)
                        .mapToLong(NodeStatus::commitIndex).max().orElse(-1);
                System.out.printf("%-8s %-22s %-10s %6s %10s %10s %10s %6s%n", "ID", "ENDPOINT", "ROLE", "TERM",
                        "COMMIT", "APPLIED", "SNAPSHOT", "LAG");
                java.util.List<Map.Entry<Endpoint, NodeStatus>> rows = new java.util.ArrayList<>(cs.nodes().entrySet());
                rows.sort(Map.Entry.comparingByValue(java.util.Comparator.comparing(NodeStatus::id)));
                for (Map.Entry<Endpoint, NodeStatus> e : rows) {
                    NodeStatus s = e.getValue();
                    System.out.printf("%-8s %-22s %-10s %6d %10d %10d %10d %6s%n", s.id(), e.getKey(), s.role(),
                            s.term(), s.commitIndex(), s.appliedIndex(), s.snapshotIndex(),
                            leaderCommit < 0 ? "?" : Long.toString(Math.max(0, leaderCommit - s.appliedIndex())));
                }
                for (Map.Entry<Endpoint, ?> e : cs.failures().entrySet()) {
                    System.out.printf("%-8s %-22s %-10s%n", "?", e.getKey(), "unreachable");
                }
                if (leaderCommit < 0) {
                    System.err.println("raftkv status: no node reports itself leader");
                    return 1;
                }
                return cs.failures().isEmpty() ? 0 : 1;
            }
        }
    }

    @Command(name = "snapshot", mixinStandardHelpOptions = true,
            description = {"Asks every node in --endpoints to snapshot its state and compact its log now;",
                    "prints what each snapshot covers. Nodes also do this on their own (see server --snapshot-*)."})
    static final class Snapshot implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            int failures = 0;
            try (KvClient c = client.connect()) {
                for (String endpoint : client.endpoints.split(",")) {
                    String e = endpoint.trim();
                    if (e.isEmpty()) {
                        continue;
                    }
                    try {
                        SnapshotTaken t = c.snapshot(e).join();
                        System.out.printf("%s: snapshot at index %d (term %d)%n", e, t.index(), t.term());
                    } catch (java.util.concurrent.CompletionException ex) {
                        failures++;
                        System.err.printf("%s: no snapshot: %s%n", e, ex.getCause().getMessage());
                    }
                }
            }
            return failures == 0 ? 0 : 1;
        }
    }

    static Consistency consistency(String s) {
        try {
            return Consistency.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--consistency must be linearizable, lease or stale, not '" + s + "'");
        }
    }
}
