package io.raftkv.bench.load;

import io.raftkv.bench.load.target.ReadConsistency;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code raftkv bench}: the load generator. Against a running cluster it runs one cell described by the options;
 * with {@code --cluster} it starts a fresh local cluster, measures the machine's limits and runs the matrix of
 * issue 8; with {@code --compare} it does so for raftkv and etcd alternately and reports ratios.
 *
 * <p>Exit status: 0 when every cell ran without a leader change, 3 when a leader changed during a cell (its
 * figures include an election), 2 for bad options, 1 for any other failure.
 */
@Command(name = "raftkv bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load generator: puts, gets and mixes through the Java client (or etcd's jetcd), closed or",
                "open loop, with latency percentiles (HdrHistogram, no coordinated omission), errors by kind,",
                "the leader's term before and after every cell, and the servers' own counters.",
                "",
                "  raftkv bench --clients 64                   one cell against a running cluster (bin/raftkv demo)",
                "  raftkv bench --cluster                      fresh local 3-node cluster, the issue-8 matrix",
                "  raftkv bench --cluster --target etcd        the same against 3 local etcd members",
                "  raftkv bench --compare                      both, cell by cell alternately, with ratios",
                ""},
        usageHelpWidth = 120, exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 1)
public final class BenchCommand implements Callable<Integer> {

    /** Exit status when a leader changed during a cell. */
    static final int LEADER_CHANGED = 3;

    enum TargetName {
        RAFTKV, ETCD
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--target", defaultValue = "raftkv", description = "raftkv or etcd (default: ${DEFAULT-VALUE}).")
    TargetName target;

    @Option(names = "--cluster", description = "Start a fresh local cluster of real processes in a temporary "
            + "directory, measure the machine's fsync rate and loopback round trip there, run the issue-8 matrix "
            + "(or the one cell given with --workload) and stop the cluster.")
    boolean cluster;

    @Option(names = "--compare", description = "Like --cluster, for raftkv and etcd both, alternating cell by cell; "
            + "reports raftkv/etcd ratios.")
    boolean compare;

    @Option(names = "--matrix", description = "Run the issue-8 matrix (the default with --cluster and --compare "
            + "unless --workload is given).")
    boolean matrix;

    @Option(names = "--cells", paramLabel = "REGEX", description = "Only the matrix cells whose id matches, e.g. "
            + "'1.put-c(1|64)-leader|4.*'.")
    String cellFilter;

    @Option(names = "--endpoints", paramLabel = "HOST:PORT,...", description = "The running cluster's client "
            + "endpoints (default: the demo's 127.0.0.1:8001,8002,8003; for etcd 127.0.0.1:2379).")
    String endpoints;

    @Option(names = "--http-endpoints", paramLabel = "HOST:PORT,...", defaultValue = "",
            description = "raftkv only: the members' HTTP addresses, to read their /v1/status counters "
                    + "(default with the default --endpoints: the demo's, 127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003).")
    String httpEndpoints;

    @Option(names = "--workload", defaultValue = "put", description = "put, get or mixed (default: ${DEFAULT-VALUE}).")
    Workload.Kind workload;

    @Option(names = "--consistency", defaultValue = "linearizable",
            description = "Reads: linearizable, lease (raftkv only) or stale (default: ${DEFAULT-VALUE}).")
    ReadConsistency consistency;

    @Option(names = "--read-ratio", defaultValue = "0.1",
            description = "mixed: the share of gets, 0 to 1 (default: ${DEFAULT-VALUE}).")
    double readRatio;

    @Option(names = "--key-order", defaultValue = "sequential",
            description = "sequential or uniform (default: ${DEFAULT-VALUE}).")
    KeySpace.Order keyOrder;

    @Option(names = "--key-space", defaultValue = "10000",
            description = "Distinct keys; gets preload them all first (default: ${DEFAULT-VALUE}).")
    long keySpace;

    @Option(names = "--key-size", defaultValue = "8", description = "Key bytes (default: ${DEFAULT-VALUE}).")
    int keySize;

    @Option(names = "--value-size", defaultValue = "256", description = "Value bytes (default: ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--clients", defaultValue = "16",
            description = "Concurrent clients, one operation in flight each (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--conns", defaultValue = "0", description = "Client connections the clients share; 0 means "
            + "one per member used (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--nodes", defaultValue = "leader", description = "leader (found from the members' status) or "
            + "all (connections spread over every member) (default: ${DEFAULT-VALUE}).")
    NodeSelection nodes;

    @Option(names = "--rate", defaultValue = "0", description = "Open loop: operations per second, all clients "
            + "together, latency counted from each operation's scheduled start; 0 means closed loop "
            + "(default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration-seconds", defaultValue = "10", description = "Measured time per cell "
            + "(default: ${DEFAULT-VALUE}).")
    double durationSeconds;

    @Option(names = "--operations", defaultValue = "0", description = "Measure this many operations instead of a "
            + "duration (default: ${DEFAULT-VALUE}).")
    long operations;

    @Option(names = "--warmup-seconds", defaultValue = "3", description = "Unmeasured time before each cell "
            + "(default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--cluster-warmup-seconds", defaultValue = "30", description = "With --cluster or --compare: "
            + "unreported load (64 clients, 70% puts, 30% linearizable gets) on each fresh cluster before the first "
            + "cell, so that the servers' JIT has compiled the hot paths; 0 skips it (default: ${DEFAULT-VALUE}).")
    double clusterWarmupSeconds;

    @Option(names = "--timeout-ms", defaultValue = "5000", description = "Request deadline, retries included "
            + "(default: ${DEFAULT-VALUE}).")
    long timeoutMillis;

    @Option(names = "--json", description = "Print the report as JSON on stdout (the table goes to stderr).")
    boolean json;

    @Option(names = "--no-progress", description = "No progress line every second.")
    boolean noProgress;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where --cluster creates its temporary "
            + "directory (default: java.io.tmpdir). Its disk is the one whose fsync rate is measured.")
    Path dataDir;

    @Option(names = "--keep-data", description = "Keep the local clusters' data and logs.")
    boolean keepData;

    @Option(names = "--server-jar", paramLabel = "JAR", description = "The raftkv jar whose 'server' command "
            + "--cluster runs (default: $RAFTKV_SERVER_JAR, else cli/target/raftkv.jar beside this tool's jar).")
    Path serverJar;

    @Option(names = "--server-jvm-opts", defaultValue = "-Xms1g -Xmx1g", paramLabel = "OPTS",
            description = "JVM options of the raftkv server processes (default: ${DEFAULT-VALUE}).")
    String serverJvmOptions;

    @Option(names = "--etcd-binary", defaultValue = "etcd", description = "The etcd executable "
            + "(default: ${DEFAULT-VALUE}; scripts/install-etcd.sh installs it).")
    String etcdBinary;

    @Option(names = "--cluster-size", defaultValue = "3", description = "Members of a local cluster "
            + "(default: ${DEFAULT-VALUE}).")
    int clusterSize;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of values, keys and the mix "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, set up as {@link #main} runs it (for tests). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((e, args) -> {
            // The message names the option; the whole usage text would bury it.
            e.getCommandLine().getErr().println("raftkv bench: " + e.getMessage());
            e.getCommandLine().getErr().println("(raftkv bench --help lists the options)");
            return 2;
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // One line, as for the other raftkv commands; the stack trace only with RAFTKV_DEBUG set.
            cmd.getErr().println("raftkv bench: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (System.getenv("RAFTKV_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        BenchPlan plan = plan();
        PrintStream log = System.err;
        BenchReport report = new BenchSession(plan, log).run();
        if (json) {
            TableReport.print(report, log);
            System.out.println(JsonReport.write(report));
        } else {
            log.println();
            TableReport.print(report, System.out);
        }
        return report.leaderChanged() ? LEADER_CHANGED : 0;
    }

    /** The options as a checked plan; a bad value is a usage error naming the option. */
    BenchPlan plan() {
        try {
            boolean local = cluster || compare;
            List<String> targets = compare ? List.of("raftkv", "etcd") : List.of(target.name().toLowerCase(Locale.ROOT));
            boolean runMatrix = matrix || local && !spec.commandLine().getParseResult().hasMatchedOption("--workload");
            List<Cell> cells = runMatrix ? filtered(BenchMatrix.issue8(keySpace, seconds(warmupSeconds, "--warmup-seconds"),
                    seconds(durationSeconds, "--duration-seconds"))) : List.of(customCell());
            if (timeoutMillis < 1) {
                throw new IllegalArgumentException("--timeout-ms must be positive, got " + timeoutMillis);
            }
            if (clusterSize < 1 || clusterSize > 9) {
                throw new IllegalArgumentException("--cluster-size must be 1 to 9, got " + clusterSize);
            }
            if (!local && cellFilter != null && !runMatrix) {
                throw new IllegalArgumentException("--cells selects matrix cells: add --matrix");
            }
            return new BenchPlan(cells, targets, local, clusterSize, local ? List.of() : endpointList(),
                    httpEndpointList(local), Duration.ofMillis(timeoutMillis),
                    dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")), keepData,
                    local && targets.contains("raftkv") ? raftkvServerCommand() : List.of(), etcdBinary, !noProgress,
                    seed, clusterWarmupSeconds == 0 ? Duration.ZERO
                            : seconds(clusterWarmupSeconds, "--cluster-warmup-seconds"));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private Cell customCell() {
        KeySpace keys = new KeySpace(keyOrder, keySpace, keySize);
        Workload w = switch (workload) {
            case PUT -> Workload.put(keys, valueSize);
            case GET -> Workload.get(consistency, keys, valueSize);
            case MIXED -> Workload.mixed(readRatio, consistency, keys, valueSize);
        };
        LoadShape shape = new LoadShape(clients, connections, rate, seconds(warmupSeconds, "--warmup-seconds"),
                operations > 0 ? Duration.ZERO : seconds(durationSeconds, "--duration-seconds"), operations);
        return new Cell("custom", w, shape, nodes);
    }

    private List<Cell> filtered(List<Cell> cells) {
        if (cellFilter == null) {
            return cells;
        }
        try {
            Pattern p = Pattern.compile(cellFilter);
            return cells.stream().filter(c -> p.matcher(c.id()).find()).toList();
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("--cells is not a regular expression: " + e.getDescription());
        }
    }

    private static Duration seconds(double s, String option) {
        if (!(s >= 0) || s > 86_400) {
            throw new IllegalArgumentException(option + " must be 0 to 86400, got " + s);
        }
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    private List<String> endpointList() {
        if (endpoints != null) {
            List<String> list = split(endpoints);
            if (list.isEmpty()) {
                throw new IllegalArgumentException("--endpoints is empty");
            }
            return list;
        }
        return target == TargetName.ETCD ? List.of("127.0.0.1:2379")
                : List.of("127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003");
    }

    /** The HTTP addresses given, or the demo's when the client endpoints are the demo's by default too. */
    private List<String> httpEndpointList(boolean local) {
        List<String> given = split(httpEndpoints);
        if (given.isEmpty() && !local && endpoints == null && target == TargetName.RAFTKV) {
            return List.of("127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003");
        }
        return given;
    }

    private static List<String> split(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * How to run {@code raftkv server}: {@code java -jar} the raftkv jar (the one bin/raftkv runs), found from the
     * option, the environment, or beside this tool's jar; without one, this tool's own class path, which holds the
     * same server classes (so tests and IDE runs work).
     */
    private List<String> raftkvServerCommand() {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(Arrays.stream(serverJvmOptions.trim().split("\\s+")).filter(o -> !o.isEmpty()).toList());
        Path jar = serverJar != null ? serverJar : defaultServerJar();
        if (jar != null) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("--server-jar " + jar + " does not exist; build it with "
                        + "./mvnw -q -B -pl cli -am package -DskipTests");
            }
            cmd.addAll(List.of("-jar", jar.toString()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.raftkv.cli.RaftkvCommand"));
        }
        return cmd;
    }

    private static Path defaultServerJar() {
        String env = System.getenv("RAFTKV_SERVER_JAR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        try {
            // <root>/bench/target/raftkv-bench.jar -> <root>/cli/target/raftkv.jar
            Path self = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = self.getParent();
            Path root = target == null || target.getParent() == null ? null : target.getParent().getParent();
            if (!self.toString().endsWith(".jar") || root == null) {
                return null;
            }
            Path beside = root.resolve("cli/target/raftkv.jar");
            return Files.isRegularFile(beside) ? beside : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null; // no code source (unusual class loaders): fall back to the class path
        }
    }
}
