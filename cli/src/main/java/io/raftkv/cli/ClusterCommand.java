package io.raftkv.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code raftkv cluster}: the membership and changes to it, through the members' HTTP API. A change is sent to
 * each given address in turn until the leader takes it, and the command returns once it is committed.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Shows and changes the cluster's membership; hands leadership to another node.",
        subcommands = {ClusterCommand.Members.class, ClusterCommand.Add.class, ClusterCommand.Remove.class,
                ClusterCommand.Promote.class, ClusterCommand.TransferLeader.class})
final class ClusterCommand implements Runnable {

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "name a subcommand: members, add, remove, promote or transfer-leader");
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Options every subcommand shares. */
    static class Target {
        @Option(names = "--endpoints", split = ",", defaultValue = "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003",
                paramLabel = "HOST:PORT,...",
                description = "HTTP addresses of members; a change is sent to each in turn until the leader takes it "
                        + "(default: the demo cluster's, ${DEFAULT-VALUE}).")
        List<String> endpoints;

        @Option(names = "--json", description = "Print the node's JSON answer as is.")
        boolean json;
    }

    /** One HTTP exchange's outcome. */
    private record Answer(int status, JsonNode body, String endpoint) {
        boolean ok() {
            return status == 200;
        }

        String error() {
            return body.path("error").asText("HTTP " + status) + ": " + body.path("message").asText(body.toString());
        }
    }

    private static Answer exchange(String endpoint, String method, String path, Object body, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + endpoint + path)).timeout(timeout);
        if (body != null) {
            req.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } else {
            req.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode node;
        try {
            node = JSON.readTree(r.body().isEmpty() ? "{}" : r.body());
        } catch (IOException e) {
            node = JSON.createObjectNode().put("error", "not_json").put("message", r.body());
        }
        return new Answer(r.statusCode(), node, endpoint);
    }

    /**
     * Sends a change to each endpoint in turn until one that is the leader answers; a refusal other than "not
     * the leader" or "unavailable" ends it.
     */
    private static int change(Target t, String method, String path, Object body, Duration timeout, String what)
            throws InterruptedException {
        StringBuilder tried = new StringBuilder();
        for (String e : t.endpoints) {
            Answer a;
            try {
                a = exchange(e, method, path, body, timeout);
            } catch (IOException ex) {
                tried.append(e).append(": ").append(ex.getMessage() == null ? ex.toString() : ex.getMessage())
                        .append("; ");
                continue;
            }
            if (a.ok()) {
                if (t.json) {
                    System.out.println(a.body().toPrettyString());
                } else {
                    System.out.println(what + ": done (committed), answered by " + e);
                    if (a.body().has("members")) {
                        printMembers(a.body());
                    }
                }
                return 0;
            }
            String code = a.body().path("error").asText("");
            if (code.equals("not_leader") || code.equals("unavailable")) {
                tried.append(e).append(": ").append(a.error()).append("; ");
                continue;
            }
            System.err.println("raftkv cluster: " + what + " refused by " + e + ": " + a.error());
            return code.equals("invalid") || code.equals("bad_request") ? 1 : 2;
        }
        System.err.println("raftkv cluster: no leader took the request (" + tried + ")");
        return 2;
    }

    private static void printMembers(JsonNode m) {
        System.out.printf("cluster %s, leader %s, term %d, configuration index %d%s (as seen by %s)%n",
                m.path("clusterId").asText("?"), m.path("leader").isNull() ? "unknown" : m.path("leader").asText(),
                m.path("term").asLong(), m.path("configurationIndex").asLong(),
                m.path("changePending").asBoolean() ? ", a change is not committed yet" : "", m.path("node").asText());
        System.out.printf("%-12s %-8s %-24s %12s %s%n", "ID", "ROLE", "PEER ADDRESS", "MATCH", "CAUGHT UP");
        for (JsonNode x : m.path("members")) {
            System.out.printf("%-12s %-8s %-24s %12s %s%n", x.path("id").asText(), x.path("role").asText(),
                    x.path("peerAddress").asText("-"), x.has("match") ? x.path("match").asText() : "-",
                    x.has("caughtUp") ? x.path("caughtUp").asText() : "-");
        }
    }

    @Command(name = "members", mixinStandardHelpOptions = true,
            description = "Lists the members as the leader sees them (or the first node that answers).")
    static final class Members implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Target target = new Target();

        @Override
        public Integer call() throws Exception {
            Answer first = null;
            for (String e : target.endpoints) {
                Answer a;
                try {
                    a = exchange(e, "GET", "/v1/cluster/members", null, Duration.ofSeconds(5));
                } catch (IOException ex) {
                    continue;
                }
                if (!a.ok()) {
                    continue;
                }
                if (first == null) {
                    first = a;
                }
                if (a.body().path("node").asText().equals(a.body().path("leader").asText())) {
                    first = a; // the leader's view has replication progress
                    break;
                }
            }
            if (first == null) {
                System.err.println("raftkv cluster members: no node answered at " + target.endpoints);
                return 2;
            }
            if (target.json) {
                System.out.println(first.body().toPrettyString());
            } else {
                printMembers(first.body());
            }
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Adds a member: as a voter (default: a learner first, promoted once it has caught up) or",
                    "as a learner (a non-voting read replica). Start the new node with an empty data directory",
                    "(no --initial-cluster), or with --join, which does this itself."})
    static final class Add implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Target target = new Target();
        @Parameters(index = "0", paramLabel = "ID", description = "The new member's node id.")
        String id;
        @Option(names = "--peer-address", required = true, paramLabel = "HOST:PORT",
                description = "Where the new member's peers reach it (its --peer-address).")
        String peerAddress;
        @Option(names = "--learner", description = "Add it as a learner and leave it one.")
        boolean learner;
        @Option(names = "--timeout-seconds", defaultValue = "120",
                description = "How long a new voter may take to catch up (default: ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("peerAddress", peerAddress);
            body.put("role", learner ? "learner" : "voter");
            body.put("timeoutMs", timeoutSeconds * 1000);
            return change(target, "POST", "/v1/cluster/members", body, Duration.ofSeconds(timeoutSeconds + 10),
                    "adding " + id + " as a " + (learner ? "learner" : "voter"));
        }
    }

    /** A change about one member, given by id: remove, promote, transfer-leader. */
    abstract static class OneMemberChange implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Target target = new Target();
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        abstract String method();

        abstract String path();

        Object body() {
            return null;
        }

        abstract String what();

        @Override
        public Integer call() throws Exception {
            return change(target, method(), path(), body(), Duration.ofSeconds(30), what());
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Removes a member (the leader too: it steps down once the change is committed).")
    static final class Remove extends OneMemberChange {
        String method() {
            return "DELETE";
        }

        String path() {
            return "/v1/cluster/members/" + id;
        }

        String what() {
            return "removing " + id;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Makes a learner a voter (refused until it has caught up).")
    static final class Promote extends OneMemberChange {
        String method() {
            return "POST";
        }

        String path() {
            return "/v1/cluster/members/" + id + "/promote";
        }

        String what() {
            return "promoting " + id;
        }
    }

    @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
            description = "Hands leadership to a voter; returns once it leads.")
    static final class TransferLeader extends OneMemberChange {
        String method() {
            return "POST";
        }

        String path() {
            return "/v1/cluster/transfer-leader";
        }

        @Override
        Object body() {
            return Map.of("to", id);
        }

        String what() {
            return "transferring leadership to " + id;
        }
    }
}
