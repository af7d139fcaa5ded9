package io.raftkv.cli.torture;

import io.raftkv.kv.client.CasResult;
import io.raftkv.kv.client.Consistency;
import io.raftkv.kv.client.DeleteResult;
import io.raftkv.kv.client.ErrorCode;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvClientException;
import io.raftkv.kv.client.VersionedValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client threads issuing a mixed workload (get 40%, put 30%, compare-and-set 20%, delete 10%) on a few hot keys
 * through the Java client, recording every operation. An operation whose outcome is unknown (timeout, lost
 * connection, leader change) is recorded as {@code info} and its logical process retires: the next operation of
 * the thread runs as a new process, as the history format requires.
 */
final class Workload {

    /** One completed operation, for the report. */
    record Sample(long startNanos, long latencyNanos, String f, String outcome) {
    }

    private final KvClient client;
    private final HistoryRecorder history;
    private final int keys;
    private final AtomicLong nextProcess = new AtomicLong();
    private final List<Sample> samples = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    Workload(KvClient client, HistoryRecorder history, int keys) {
        this.client = client;
        this.history = history;
        this.keys = keys;
    }

    void start(int clients, long seed) {
        for (int t = 0; t < clients; t++) {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + t);
            int thread = t;
            Thread th = new Thread(() -> run(thread, random), "torture-client-" + t);
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
    }

    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
    }

    synchronized List<Sample> samples() {
        return new ArrayList<>(samples);
    }

    private synchronized void sample(Sample s) {
        samples.add(s);
    }

    /** Reads every key once, linearizably, as a final check (recorded like any other read). */
    void finalReads() {
        long process = nextProcess.getAndIncrement();
        for (int k = 0; k < keys; k++) {
            String key = "k" + k;
            long start = System.nanoTime();
            history.record(process, "invoke", "get", key, null, start);
            try {
                Optional<VersionedValue> v = client.blocking().get(key, Consistency.LINEARIZABLE);
                history.record(process, "ok", "get", key, v.map(x -> text(x.value())).orElse(null), System.nanoTime());
            } catch (KvClientException e) {
                history.record(process, "fail", "get", key, null, System.nanoTime());
            }
        }
    }

    private void run(int thread, SplittableRandom random) {
        long process = nextProcess.getAndIncrement();
        Map<String, String> lastSeen = new HashMap<>();
        int n = 0;
        while (running.get()) {
            String key = "k" + random.nextInt(keys);
            int dice = random.nextInt(100);
            long start = System.nanoTime();
            String outcome;
            String f;
            if (dice < 40) {
                f = "get";
                history.record(process, "invoke", f, key, null, start);
                try {
                    Optional<VersionedValue> v = client.blocking().get(key, Consistency.LINEARIZABLE);
                    String read = v.map(x -> text(x.value())).orElse(null);
                    lastSeen.put(key, read);
                    history.record(process, "ok", f, key, read, System.nanoTime());
                    outcome = "ok";
                } catch (KvClientException e) {
                    // A read changes nothing: a failed read certainly did not happen.
                    history.record(process, "fail", f, key, null, System.nanoTime());
                    outcome = "fail";
                }
            } else if (dice < 70) {
                f = "put";
                String value = "t" + thread + "-" + n++;
                history.record(process, "invoke", f, key, value, start);
                try {
                    client.blocking().put(key, value);
                    lastSeen.put(key, value);
                    history.record(process, "ok", f, key, value, System.nanoTime());
                    outcome = "ok";
                } catch (KvClientException e) {
                    outcome = uncertain(e);
                    history.record(process, outcome, f, key, value, System.nanoTime());
                }
            } else if (dice < 90) {
                f = "cas";
                String expected = lastSeen.getOrDefault(key, null);
                String value = "t" + thread + "-" + n++;
                String[] pair = {expected, value};
                history.record(process, "invoke", f, key, pair, start);
                try {
                    CasResult r = client.blocking().compareAndSet(key, expected, value);
                    outcome = r.succeeded() ? "ok" : "fail";
                    if (r.succeeded()) {
                        lastSeen.put(key, value);
                    } else {
                        lastSeen.remove(key);
                    }
                    history.record(process, outcome, f, key, pair, System.nanoTime());
                } catch (KvClientException e) {
                    outcome = uncertain(e);
                    history.record(process, outcome, f, key, pair, System.nanoTime());
                }
            } else {
                f = "delete";
                history.record(process, "invoke", f, key, null, start);
                try {
                    DeleteResult r = client.blocking().delete(key);
                    lastSeen.put(key, null);
                    history.record(process, "ok", f, key, null, System.nanoTime());
                    outcome = "ok";
                } catch (KvClientException e) {
                    outcome = uncertain(e);
                    history.record(process, outcome, f, key, null, System.nanoTime());
                }
            }
            sample(new Sample(start, System.nanoTime() - start, f, outcome));
            if (outcome.equals("info")) {
                process = nextProcess.getAndIncrement(); // the old process may still be "running" its write
            }
        }
    }

    /**
     * A write refused as malformed or too large certainly did not happen; after any other error it may have (the
     * client retried with the same session, and an earlier attempt may have reached the log), so it is info.
     */
    private static String uncertain(KvClientException e) {
        return e.code() == ErrorCode.BAD_REQUEST || e.code() == ErrorCode.TOO_LARGE ? "fail" : "info";
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
