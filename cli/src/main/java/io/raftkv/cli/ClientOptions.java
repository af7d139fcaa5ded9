package io.raftkv.cli;

import io.raftkv.kv.client.KvClient;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every client command shares. */
final class ClientOptions {

    @Option(names = "--endpoints", defaultValue = "127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003",
            paramLabel = "HOST:PORT,...", description = "Client addresses of the nodes (default: the demo's, ${DEFAULT-VALUE}).")
    String endpoints;

    @Option(names = "--timeout-ms", defaultValue = "5000",
            description = "Give up after this long, retrying meanwhile (default: ${DEFAULT-VALUE}).")
    long timeoutMillis;

    KvClient connect() {
        return KvClient.builder().endpoints(endpoints).requestTimeout(Duration.ofMillis(timeoutMillis)).build();
    }
}
