package io.raftkv.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
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
 * {@code raftkv fault}: injects faults into a node started with {@code --enable-fault-injection}, through its
 * HTTP API. For tests and demos: watch failover happen.
 */
@Command(name = "fault", mixinStandardHelpOptions = true,
        description = {"Injects a fault into one node (started with --enable-fault-injection) and prints the faults in force.",
                "ACTION: isolate (--peers, --direction), drop (--percent, --peers), delay (--millis, --percent),",
                "slow-disk (--millis), pause (--millis), crash, heal."})
final class FaultCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ACTION",
            description = "isolate, drop, delay, slow-disk, pause, crash or heal")
    String action;

    @Option(names = "--node", defaultValue = "127.0.0.1:9001", paramLabel = "HOST:PORT",
            description = "The node's HTTP address (default: ${DEFAULT-VALUE}).")
    String node;

    @Option(names = "--peers", split = ",", description = "Peer ids the fault applies to (default: every peer).")
    List<String> peers;

    @Option(names = "--direction", defaultValue = "both", description = "For isolate: inbound, outbound or both.")
    String direction;

    @Option(names = "--percent", defaultValue = "100", description = "For drop and delay (default: ${DEFAULT-VALUE}).")
    int percent;

    @Option(names = "--millis", defaultValue = "1000", description = "For delay, slow-disk, pause (default: ${DEFAULT-VALUE}).")
    long millis;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        switch (action) {
            case "isolate" -> {
                body.put("peers", peers == null ? List.of() : peers);
                body.put("direction", direction);
            }
            case "drop" -> {
                body.put("percent", percent);
                body.put("peers", peers == null ? List.of() : peers);
            }
            case "delay" -> {
                body.put("millis", millis);
                body.put("percent", percent);
            }
            case "slow-disk", "pause" -> body.put("millis", millis);
            case "crash", "heal" -> { }
            default -> throw new IllegalArgumentException("unknown fault '" + action
                    + "'; use isolate, drop, delay, slow-disk, pause, crash or heal");
        }
        URI uri = URI.create("http://" + node + "/v1/fault" + (action.equals("heal") ? "" : "/" + action));
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        req = action.equals("heal") ? req.DELETE()
                : req.POST(HttpRequest.BodyPublishers.ofByteArray(new ObjectMapper().writeValueAsBytes(body)))
                        .header("Content-Type", "application/json");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                System.err.println("raftkv fault: " + node + " answered " + r.statusCode() + ": " + r.body());
                return 2;
            }
            System.out.println(r.body());
            return 0;
        } catch (java.io.IOException e) {
            if (action.equals("crash")) {
                System.out.println("{\"crashed\": \"" + node + "\"}"); // the node died before it could answer
                return 0;
            }
            throw e;
        }
    }
}
