package io.raftkv.kv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * A server that stops reading (as a raftkv node does at its in-flight limit) makes requests queue on the client's
 * connection. Beyond the connection's byte bound they are refused at once, unsent, as overloaded, instead of
 * filling the client's memory and then timing out unanswered.
 */
class ConnectionBacklogTest {

    @Test
    void requestsBeyondTheConnectionsByteBoundAreRefusedAsOverloadedWithoutBeingSent() throws Exception {
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket stalled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(stalled.accept()); // and never read
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "stalled-server");
            acceptor.setDaemon(true);
            acceptor.start();
            // 40 puts of 512 KiB (20 MiB) are far more than the socket buffers take in; 64 KiB may wait beyond them.
            try (KvClient client = KvClient.builder().endpoints("127.0.0.1:" + stalled.getLocalPort())
                    .requestTimeout(Duration.ofSeconds(2)).maxQueuedBytesPerConnection(64 << 10).build()) {
                List<CompletableFuture<Long>> puts = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    puts.add(client.put(("k" + i).getBytes(), new byte[512 << 10]));
                }
                List<KvClientException> refused = new ArrayList<>();
                for (CompletableFuture<Long> put : puts) {
                    try {
                        put.join();
                    } catch (CompletionException e) {
                        KvClientException k = (KvClientException) e.getCause();
                        if (k.code() == ErrorCode.OVERLOADED) {
                            refused.add(k);
                        } else {
                            assertThat(k.code()).as(k.getMessage()).isEqualTo(ErrorCode.UNAVAILABLE);
                        }
                    }
                }
                assertThat(refused).as("requests refused at the client").isNotEmpty()
                        .allSatisfy(k -> assertThat(k.getMessage()).contains("bytes waiting to be sent"));
            }
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
