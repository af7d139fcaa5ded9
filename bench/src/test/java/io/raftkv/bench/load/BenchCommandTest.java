package io.raftkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line: options become a plan, and bad values are usage errors that name the option. */
class BenchCommandTest {

    private final StringWriter err = new StringWriter();

    private int exitCode(String... args) {
        CommandLine cl = BenchCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private static BenchPlan plan(String... args) {
        CommandLine cl = BenchCommand.commandLine();
        cl.parseArgs(args);
        return ((BenchCommand) cl.getCommand()).plan();
    }

    @Test
    void badValuesAreUsageErrorsNamingTheOption() {
        assertThat(exitCode("--clients", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--clients must be 1 to 100000, got 0").doesNotContain("Usage:");
        assertThat(exitCode("--read-ratio", "1.5", "--workload", "mixed")).isEqualTo(2);
        assertThat(err.toString()).contains("--read-ratio");
        assertThat(exitCode("--key-space", "100000", "--key-size", "2")).isEqualTo(2);
        assertThat(err.toString()).contains("do not fit in 2-byte keys");
        assertThat(exitCode("--duration-seconds", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--duration-seconds must be positive");
        assertThat(exitCode("--rate", "-5")).isEqualTo(2);
        assertThat(err.toString()).contains("--rate");
        assertThat(exitCode("--workload", "scan")).isEqualTo(2);
        assertThat(err.toString()).contains("--workload").contains("scan");
        assertThat(exitCode("--cluster", "--cells", "(")).isEqualTo(2);
        assertThat(err.toString()).contains("--cells is not a regular expression");
        assertThat(exitCode("--cluster", "--cells", "nothing-matches")).isEqualTo(2);
        assertThat(err.toString()).contains("no cells to run");
        assertThat(exitCode("--endpoints", " , ")).isEqualTo(2);
        assertThat(err.toString()).contains("--endpoints is empty");
    }

    @Test
    void withoutAClusterOneCellRunsAgainstTheDemosEndpoints() {
        BenchPlan p = plan("--clients", "64", "--value-size", "1024", "--nodes", "all", "--rate", "5000");
        assertThat(p.startClusters()).isFalse();
        assertThat(p.targets()).containsExactly("raftkv");
        assertThat(p.endpoints()).containsExactly("127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003");
        assertThat(p.cells()).hasSize(1);
        Cell c = p.cells().get(0);
        assertThat(c.load().clients()).isEqualTo(64);
        assertThat(c.load().openLoop()).isTrue();
        assertThat(c.workload().valueBytes()).isEqualTo(1024);
        assertThat(c.nodes()).isEqualTo(NodeSelection.ALL);
    }

    @Test
    void etcdDefaultsToItsOwnPort() {
        assertThat(plan("--target", "etcd").endpoints()).containsExactly("127.0.0.1:2379");
    }

    @Test
    void aClusterRunsTheIssue8MatrixUnlessAWorkloadIsGiven() {
        BenchPlan matrix = plan("--cluster", "--duration-seconds", "2", "--warmup-seconds", "1");
        assertThat(matrix.startClusters()).isTrue();
        assertThat(matrix.cells()).hasSize(16);
        assertThat(matrix.cells()).extracting(Cell::id).contains("1.put-c1-leader", "1.put-c1000-all",
                "2.get-linearizable-c256", "2.get-stale-c1", "3.mixed10-c256", "4.put4k-c64");
        assertThat(matrix.raftkvServer()).isNotEmpty();
        assertThat(plan("--cluster", "--workload", "get").cells()).extracting(Cell::id).containsExactly("custom");
        assertThat(plan("--cluster", "--cells", "^1\\.put-c(1|64)-leader$").cells()).extracting(Cell::id)
                .containsExactly("1.put-c1-leader", "1.put-c64-leader");
    }

    @Test
    void compareRunsBothTargets() {
        BenchPlan p = plan("--compare", "--cells", "4\\.");
        assertThat(p.targets()).isEqualTo(List.of("raftkv", "etcd"));
        assertThat(p.startClusters()).isTrue();
    }
}
