package io.raftkv.cli.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.cli.RaftkvCommand;
import io.raftkv.cli.membership.MemberProcesses.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Changing the membership of a cluster of real {@code raftkv server} processes while a client writes without
 * pause: growing 3 to 5 with {@code --join}, shrinking 5 to 3 including the leader, replacing every node, a
 * removed node left running, an idle node added by the CLI, leadership transfers, and a node refused for
 * belonging to another cluster. Every acknowledged write must be readable at the end; the longest stretch
 * without a successful write is printed (not asserted: timings never decide a test).
 */
class MembershipProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private static void awaitMoreWrites(ContinuousWriter w, int more) {
        int target = w.acknowledged.size() + more;
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(50)).until(() -> w.acknowledged.size() >= target);
    }

    private static Node awaitLeader(MemberProcesses c, List<Node> among) {
        return await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> c.leader(among),
                l -> l != null);
    }

    private static List<String> voters(String... ids) {
        List<String> out = new ArrayList<>();
        for (String id : ids) {
            out.add(id + ":voter");
        }
        out.sort(null);
        return out;
    }

    private static void awaitRoles(MemberProcesses c, List<Node> nodes, List<String> roles) {
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> nodes.stream().allMatch(n -> c.roles(n).equals(roles)));
    }

    /** Removes {@code id} through the leader among {@code members}, retrying while a change is in progress. */
    private static void remove(MemberProcesses c, List<Node> members, String id) {
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
            Node l = c.leader(members);
            MemberProcesses.Answer a = l == null ? null : c.call(l, "DELETE", "/v1/cluster/members/" + id, null);
            return a != null && a.status() == 200;
        });
    }

    /** Every acknowledged write reads back, linearizably, from {@code via}. */
    private static void assertNothingLost(MemberProcesses c, ContinuousWriter w, Node via) {
        assertThat(w.acknowledged).isNotEmpty();
        for (Map.Entry<String, String> e : w.acknowledged.entrySet()) {
            MemberProcesses.Answer a = c.call(via, "GET", "/v1/kv/" + e.getKey(), null);
            assertThat(a).as("reading %s from %s", e.getKey(), via.id()).isNotNull();
            assertThat(a.status()).as("reading %s", e.getKey()).isEqualTo(200);
            assertThat(a.body().path("raw").asText()).as("value of %s", e.getKey()).isEqualTo(e.getValue());
        }
    }

    private static void report(String what, ContinuousWriter w) {
        System.out.printf("%s: %d writes acknowledged, %d failed attempts, longest time without a successful "
                + "write %d ms%n", what, w.acknowledged.size(), w.failures(), w.longestGap().toMillis());
    }

    @Test
    void growsFromThreeToFiveWithJoinThenShrinksToThreeIncludingTheLeader() throws Exception {
        try (MemberProcesses c = new MemberProcesses(dir)) {
            List<Node> members = new ArrayList<>(c.startCluster("grow", "n1", "n2", "n3"));
            awaitLeader(c, members);
            try (ContinuousWriter w = new ContinuousWriter(c, members)) {
                awaitMoreWrites(w, 100);
                Node n4 = c.startJoining("n4", members);
                Node n5 = c.startJoining("n5", members);
                members.add(n4);
                members.add(n5);
                awaitRoles(c, members, voters("n1", "n2", "n3", "n4", "n5"));
                w.targets.addAll(List.of(n4, n5));
                awaitMoreWrites(w, 100);
                assertThat(c.members(n4).path("clusterId").asText()).isEqualTo("grow");

                Node oldLeader = awaitLeader(c, members);
                remove(c, members, oldLeader.id());
                members.remove(oldLeader);
                w.targets.remove(oldLeader);
                Node newLeader = awaitLeader(c, members);
                assertThat(newLeader.id()).isNotEqualTo(oldLeader.id());
                c.kill(oldLeader);
                Node other = members.stream().filter(n -> n != newLeader).findFirst().orElseThrow();
                remove(c, members, other.id());
                members.remove(other);
                w.targets.remove(other);
                c.kill(other);
                List<String> remaining = new ArrayList<>(members.stream().map(n -> n.id() + ":voter").toList());
                remaining.sort(null);
                awaitRoles(c, members, remaining);
                awaitMoreWrites(w, 100);
                w.close();
                report("grow 3->5, shrink 5->3 with the leader", w);
                assertNothingLost(c, w, awaitLeader(c, members));
            }
        }
    }

    @Test
    void everyNodeIsReplacedOneByOneUnderWrites() throws Exception {
        try (MemberProcesses c = new MemberProcesses(dir)) {
            List<Node> members = new ArrayList<>(c.startCluster("replace", "n1", "n2", "n3"));
            List<Node> originals = List.copyOf(members);
            awaitLeader(c, members);
            try (ContinuousWriter w = new ContinuousWriter(c, members)) {
                awaitMoreWrites(w, 100);
                for (int i = 0; i < 3; i++) {
                    Node fresh = c.startJoining("m" + (i + 1), members);
                    members.add(fresh);
                    List<String> expected = new ArrayList<>(members.stream().map(n -> n.id() + ":voter").toList());
                    expected.sort(null);
                    awaitRoles(c, members, expected);
                    w.targets.add(fresh);
                    Node old = originals.get(i);
                    remove(c, members, old.id());
                    members.remove(old);
                    w.targets.remove(old);
                    c.kill(old);
                    awaitMoreWrites(w, 100);
                }
                awaitRoles(c, members, voters("m1", "m2", "m3"));
                w.close();
                report("replace n1..n3 by m1..m3", w);
                assertNothingLost(c, w, awaitLeader(c, members));
            }
        }
    }

    @Test
    void aRemovedNodeLeftRunningDoesNotDisturbAndLeadershipMovesOnRequest() throws Exception {
        long observeSeconds = Long.getLong("raftkv.test.removedNodeSeconds", 60);
        try (MemberProcesses c = new MemberProcesses(dir)) {
            List<Node> nodes = c.startCluster("stay", "n1", "n2", "n3", "n4");
            List<Node> members = new ArrayList<>(nodes);
            Node leader = awaitLeader(c, members);
            try (ContinuousWriter w = new ContinuousWriter(c, members)) {
                awaitMoreWrites(w, 50);
                // Remove a follower through the CLI, and leave its process running.
                Node removed = members.stream().filter(n -> n != leader).findFirst().orElseThrow();
                String endpoints = String.join(",", members.stream().map(Node::http).toList());
                int exit = new CommandLine(new RaftkvCommand()).execute("cluster", "remove", removed.id(),
                        "--endpoints", endpoints);
                assertThat(exit).isZero();
                members.remove(removed);
                w.targets.remove(removed);
                awaitRoles(c, members, members.stream().map(n -> n.id() + ":voter").sorted().toList());
                long term = c.status(leader).path("term").asLong();
                await().during(Duration.ofSeconds(observeSeconds)).atMost(Duration.ofSeconds(observeSeconds + 30))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> members.stream().allMatch(n -> {
                            JsonNode s = c.status(n);
                            return s != null && s.path("term").asLong() == term
                                    && leader.id().equals(s.path("leader").asText());
                        }));
                assertThat(removed.process().isAlive()).isTrue();
                System.out.printf("removed node %s ran for %d s beside the cluster: term stayed %d%n",
                        removed.id(), observeSeconds, term);

                // Leadership transfers to chosen nodes, under writes.
                List<Long> millis = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    Node from = awaitLeader(c, members);
                    Node to = members.get((members.indexOf(from) + 1) % members.size());
                    long start = System.nanoTime();
                    MemberProcesses.Answer a = c.call(from, "POST", "/v1/cluster/transfer-leader",
                            "{\"to\":\"" + to.id() + "\"}");
                    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertThat(a).isNotNull();
                    assertThat(a.status()).as("transfer %d: %s", i, a.body()).isEqualTo(200);
                    assertThat(awaitLeader(c, members).id()).isEqualTo(to.id());
                    millis.add(took);
                }
                millis.sort(null);
                System.out.printf("20 leadership transfers: median %d ms, min %d ms, max %d ms (election timeout "
                        + "1000-2000 ms)%n", (millis.get(9) + millis.get(10)) / 2, millis.get(0), millis.get(19));
                w.close();
                report("removed node left running, 20 transfers", w);
                assertNothingLost(c, w, awaitLeader(c, members));
            }
        }
    }

    @Test
    void anIdleNodeIsAddedByTheCliAndANodeOfAnotherClusterIsRefused() throws Exception {
        try (MemberProcesses c = new MemberProcesses(dir)) {
            List<Node> members = new ArrayList<>(c.startCluster("main", "n1", "n2", "n3"));
            awaitLeader(c, members);
            String endpoints = String.join(",", members.stream().map(Node::http).toList());
            // An idle node: empty data directory, neither --initial-cluster nor --join.
            Node idle = c.start("n4", List.of("--cluster-id", "main"));
            await().atMost(DEADLINE).until(() -> c.members(idle) != null);
            assertThat(c.roles(idle)).isEmpty();
            int exit = new CommandLine(new RaftkvCommand()).execute("cluster", "add", "n4", "--learner",
                    "--peer-address", idle.peer(), "--endpoints", endpoints);
            assertThat(exit).isZero();
            members.add(idle);
            await().atMost(DEADLINE).until(() -> c.roles(idle).contains("n4:learner"));
            await().atMost(DEADLINE).until(() -> {
                JsonNode m = c.members(c.leader(members));
                return m != null && m.toString().contains("\"caughtUp\":true");
            });
            exit = new CommandLine(new RaftkvCommand()).execute("cluster", "promote", "n4", "--endpoints", endpoints);
            assertThat(exit).isZero();
            awaitRoles(c, members, voters("n1", "n2", "n3", "n4"));

            // A node whose data directory belongs to another cluster is refused when it tries to join this one.
            List<Node> other = c.startCluster("other", "x1");
            awaitLeader(c, other);
            c.kill(other.get(0));
            Node intruder = c.start("x1", List.of("--join", members.get(0).http()));
            assertThat(intruder.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(intruder.process().exitValue()).isNotZero();
            assertThat(Files.readString(c.log("x1"))).contains("refusing to join cluster 'main'")
                    .contains("belongs to cluster 'other'");
            assertThat(c.roles(members.get(0))).doesNotContain("x1:voter", "x1:learner");
        }
    }
}
