package io.raftkv.cli.torture;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Listening ports for local clusters of processes. Ports come from below the kernel's ephemeral range: a port
 * from that range (what binding port 0 returns) can be taken in the meantime as the source port of any outgoing
 * connection on the machine, which made starting nodes occasionally fail with "address already in use".
 */
public final class FreePorts {

    private static final int LOWEST = 10_000;

    private final SplittableRandom random = new SplittableRandom(System.nanoTime());
    private final Set<Integer> handedOut = new HashSet<>();
    private final int highestExclusive;

    public FreePorts() {
        this.highestExclusive = ephemeralLow();
    }

    /** A port that is free now, outside the ephemeral range, not handed out before by this instance. */
    public synchronized int next() throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = LOWEST + random.nextInt(highestExclusive - LOWEST);
            if (handedOut.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                handedOut.add(port);
                return port;
            } catch (IOException inUse) {
                // taken: try another
            }
        }
        throw new IOException("no free port found between " + LOWEST + " and " + highestExclusive);
    }

    /** The first port of the kernel's ephemeral range (32768 where it cannot be read). */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return Math.max(LOWEST + 1000, low);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
