package io.raftkv.kv.client;

import io.raftkv.kv.api.proto.ClientResponse;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A TCP proxy in front of one node that understands response frames: a response the predicate picks is dropped
 * and both sides of the connection are cut, as if the network failed after the server applied the request but
 * before the client read the answer. Requests pass through untouched.
 */
final class DroppingProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Predicate<ClientResponse> dropAndDisconnect;
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dropping-proxy");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    DroppingProxy(Endpoint target, Predicate<ClientResponse> dropAndDisconnect) throws IOException {
        this.target = new InetSocketAddress(target.host(), target.port());
        this.dropAndDisconnect = dropAndDisconnect;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    Endpoint endpoint() {
        return new Endpoint("127.0.0.1", listener.getLocalPort());
    }

    /** Responses dropped so far. */
    int dropped() {
        return dropped.get();
    }

    /** Client connections accepted so far. */
    int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                connections.incrementAndGet();
                Socket server = new Socket();
                server.connect(target, 5_000);
                sockets.add(client);
                sockets.add(server);
                threads.execute(() -> pumpRequests(client, server));
                threads.execute(() -> pumpResponses(server, client));
            } catch (IOException e) {
                if (!closed) {
                    continue; // target down: the client sees its connection closed
                }
                return;
            }
        }
    }

    private void pumpRequests(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // either side closed
        } finally {
            cut(from, to);
        }
    }

    private void pumpResponses(Socket from, Socket to) {
        try {
            DataInputStream in = new DataInputStream(from.getInputStream());
            DataOutputStream out = new DataOutputStream(to.getOutputStream());
            while (true) {
                int length = in.readInt();
                byte[] body = new byte[length];
                in.readFully(body);
                if (dropAndDisconnect.test(ClientResponse.parseFrom(body))) {
                    dropped.incrementAndGet();
                    return;
                }
                out.writeInt(length);
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            cut(from, to);
        }
    }

    private void cut(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            sockets.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
        threads.shutdownNow();
    }
}
