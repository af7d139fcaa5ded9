package io.raftkv.bench.load.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.HdrHistogram.Histogram;

/**
 * The loopback TCP round trip: one byte to an echo thread on 127.0.0.1 and back, with Nagle off, one at a time.
 * A blocking socket pair in two threads is the least any client-server hop costs here.
 */
final class LoopbackProbe {

    /** Round trips run before measuring, so that the JIT and the scheduler have settled. */
    private static final int WARMUP = 2_000;

    /**
     * @param p50Ms median round trip
     * @param p99Ms 99th percentile
     */
    record Result(double p50Ms, double p99Ms) {
    }

    private LoopbackProbe() {
    }

    static Result run(Duration duration) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echo = new Thread(() -> echo(server), "loopback-echo");
            echo.setDaemon(true);
            echo.start();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                for (int i = 0; i < WARMUP; i++) {
                    roundTrip(out, in);
                }
                Histogram h = new Histogram(3);
                long end = System.nanoTime() + duration.toNanos();
                for (long now = System.nanoTime(); now < end; ) {
                    long t0 = now;
                    roundTrip(out, in);
                    now = System.nanoTime();
                    h.recordValue(now - t0);
                }
                return new Result(h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6);
            }
        }
    }

    private static void roundTrip(OutputStream out, InputStream in) throws IOException {
        out.write(1);
        out.flush();
        if (in.read() < 0) {
            throw new IOException("the loopback echo closed the connection");
        }
    }

    private static void echo(ServerSocket server) {
        try (Socket s = server.accept()) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int b = in.read(); b >= 0; b = in.read()) {
                out.write(b);
                out.flush();
            }
        } catch (IOException e) {
            // the probe closed its end: done
        }
    }
}
