package io.raftkv.cli.membership;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes distinct keys one after another through the HTTP API of whichever current member answers (any member
 * takes writes: followers forward them to the leader), remembering each acknowledged write and the longest
 * stretch during which no write succeeded.
 */
final class ContinuousWriter implements AutoCloseable {

    private final MemberProcesses cluster;
    /** The members to write through; the test updates it as nodes join and leave. */
    final List<MemberProcesses.Node> targets = new CopyOnWriteArrayList<>();
    final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final AtomicLong longestOutageNanos = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    ContinuousWriter(MemberProcesses cluster, List<MemberProcesses.Node> initial) {
        this.cluster = cluster;
        this.targets.addAll(initial);
        this.thread = new Thread(this::run, "continuous-writer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long n = 0;
        int next = 0;
        long lastSuccess = System.nanoTime();
        while (running) {
            String key = "w" + n;
            String value = "v" + n;
            List<MemberProcesses.Node> now = List.copyOf(targets);
            if (now.isEmpty()) {
                continue;
            }
            MemberProcesses.Node t = now.get(Math.floorMod(next, now.size()));
            MemberProcesses.Answer a = cluster.call(t, "PUT", "/v1/kv/" + key, value);
            long at = System.nanoTime();
            if (a != null && a.status() == 200) {
                acknowledged.put(key, value);
                longestOutageNanos.accumulateAndGet(at - lastSuccess, Math::max);
                lastSuccess = at;
                n++;
            } else {
                failures.incrementAndGet();
                next++; // try another member; the same key and value again (a put is idempotent)
            }
        }
    }

    /** The longest time between two successive acknowledged writes so far. */
    Duration longestGap() {
        return Duration.ofNanos(longestOutageNanos.get());
    }

    long failures() {
        return failures.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(60_000);
    }
}
