package io.raftkv.bench.load;

import io.raftkv.bench.load.target.TargetConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives one load (a workload with a load shape) through open connections and measures it: starts the clients,
 * reports progress every second, waits until the window is over and every client's last operation completed.
 */
final class LoadRun {

    private final List<TargetConnection> connections;
    private final Workload workload;
    private final LoadShape shape;
    private final Duration drainTimeout;
    private final long seed;

    /**
     * @param connections  the clients are spread over these round-robin
     * @param drainTimeout after the window, how long to wait for operations still open before giving up on them
     *                     (a little more than the request timeout: every raftkv request completes by then)
     * @param seed         for values, key choice and the read/write mix, so that a run can be repeated
     */
    LoadRun(List<TargetConnection> connections, Workload workload, LoadShape shape, Duration drainTimeout, long seed) {
        if (connections.isEmpty()) {
            throw new IllegalArgumentException("no connections to run the load through");
        }
        this.connections = List.copyOf(connections);
        this.workload = workload;
        this.shape = shape;
        this.drainTimeout = drainTimeout;
        this.seed = seed;
    }

    RunOutcome run(ProgressListener progress) throws InterruptedException {
        Measurements m = new Measurements();
        ScheduledThreadPoolExecutor pacer = new ScheduledThreadPoolExecutor(1, daemon("bench-pacer"));
        pacer.setRemoveOnCancelPolicy(true);
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(daemon("bench-progress"));
        try {
            long origin = System.nanoTime();
            Pacing pacing = Pacing.of(shape, origin);
            MeasurementWindow window = MeasurementWindow.of(shape, origin);
            byte[] value = new byte[workload.valueBytes()];
            // Random bytes: a store or disk that compresses must not get an easy ride.
            new SplittableRandom(seed).nextBytes(value);
            KeyPicker shared = KeyPicker.shared(workload.keys());
            AtomicLong sequence = new AtomicLong();
            CountDownLatch done = new CountDownLatch(shape.clients());
            reporter.scheduleAtFixedRate(() -> {
                Measurements.Interval i = m.interval();
                long now = System.nanoTime();
                // An interval that began before the end of the warm-up holds warm-up operations: call it warm-up.
                boolean measuring = now - TimeUnit.SECONDS.toNanos(1) - window.startNanos() >= 0;
                progress.interval((now - origin) / 1e9, measuring, i.successes(), i.errors(), i.latency());
            }, 1, 1, TimeUnit.SECONDS);
            for (int c = 0; c < shape.clients(); c++) {
                new ClientLoop(connections.get(c % connections.size()), workload,
                        KeyPicker.forClient(workload.keys(), shared, seed, c), value, seed + c, pacing, window,
                        sequence, m, pacer, System::nanoTime, done::countDown).next();
            }
            long unanswered = awaitClients(done, window, m, origin);
            reporter.shutdownNow();
            long end = m.lastMeasuredCompletionNanos();
            double seconds = end == Long.MIN_VALUE ? 0 : Math.max(0, end - window.startNanos()) / 1e9;
            Map<String, Long> errors = new HashMap<>(m.errors());
            if (unanswered > 0) {
                errors.merge("NO_ANSWER", unanswered, Long::sum);
            }
            return new RunOutcome(seconds, m.puts(), m.gets(), errors, m.total());
        } finally {
            pacer.shutdownNow();
            reporter.shutdownNow();
        }
    }

    /**
     * Waits for every client to finish: in a timed run until the window is over and then up to the drain timeout
     * for the last operations; when counting operations, as long as operations keep completing (no end time is
     * known). Returns how many clients had not finished (each has at most one operation open); the window is
     * closed so that they start no more.
     */
    private long awaitClients(CountDownLatch done, MeasurementWindow window, Measurements m, long origin)
            throws InterruptedException {
        long windowEnd = origin + shape.warmup().toNanos() + shape.duration().toNanos();
        long completed = m.completed();
        long lastProgress = System.nanoTime();
        while (!done.await(200, TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            if (m.completed() != completed) {
                completed = m.completed();
                lastProgress = now;
            }
            boolean finite = shape.operations() == 0;
            boolean overdue = finite && now - windowEnd > drainTimeout.toNanos();
            boolean stalled = !finite && now - lastProgress > drainTimeout.toNanos();
            if (overdue || stalled) {
                break;
            }
        }
        window.close();
        return done.getCount();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
