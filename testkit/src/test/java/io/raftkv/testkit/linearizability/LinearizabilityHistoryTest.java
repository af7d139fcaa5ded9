package io.raftkv.testkit.linearizability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The history format: parsing, writing, pairing and validation, and recording from concurrent clients. */
class LinearizabilityHistoryTest {

    @Test
    void theGuideExampleParsesAndPairs() {
        History h = History.parse("""
                {"process":3,"type":"invoke","f":"cas","key":"k7","value":["a","b"],"time":1234567890}
                {"process":3,"type":"ok","f":"cas","key":"k7","value":["a","b"],"time":1234569999}
                """);
        assertThat(h.events()).containsExactly(
                new HistoryEvent(3, EventType.INVOKE, Call.cas("k7", "a", "b"), 1234567890L),
                new HistoryEvent(3, EventType.OK, Call.cas("k7", "a", "b"), 1234569999L));
        PairedHistory p = h.pair();
        assertThat(p.operations()).containsExactly(new Operation(0, 3, OpKind.CAS, "k7", "a", "b", 1234567890L,
                1234569999L, Operation.Status.OK, 1));
    }

    @Test
    void writingAndParsingRoundTrip() {
        History h = History.builder()
                .ok(1, Call.put("k", "va\"lue\n"), 0, 10)
                .ok(2, Call.read("k", "va\"lue\n"), 5, 15)
                .ok(2, Call.read("k", null), 20, 30)
                .ok(1, Call.cas("k", null, "x"), 20, 30)
                .fail(3, Call.cas("k", "q", "x"), 21, 31)
                .info(4, Call.delete("k"), 22, 40)
                .pending(5, Call.get("k"), 50)
                .build();
        String json = h.toJsonLines();
        assertThat(json).contains("{\"process\":2,\"type\":\"invoke\",\"f\":\"get\",\"key\":\"k\",\"value\":null,"
                + "\"time\":5}\n");
        assertThat(json).contains("\"value\":[null,\"x\"]");
        assertThat(History.parse(json).events()).isEqualTo(h.events());
        assertThat(json.lines()).hasSize(13);
    }

    @Test
    void pairingDropsFailuresAndTreatsUnfinishedOperationsAsInfo() {
        PairedHistory p = History.builder()
                .ok(1, Call.put("k", "1"), 0, 10)
                .fail(2, Call.put("k", "2"), 1, 11)
                .info(3, Call.put("k", "3"), 2, 12)
                .pending(4, Call.put("k", "4"), 3)
                .build().pair();
        assertThat(p.failed()).isEqualTo(1);
        assertThat(p.operations()).extracting(Operation::value).containsExactly("1", "3", "4");
        assertThat(p.operations()).extracting(Operation::status)
                .containsExactly(Operation.Status.OK, Operation.Status.INFO, Operation.Status.INFO);
        assertThat(p.operations().get(1).completeTime()).isEqualTo(Operation.NEVER);
    }

    @Test
    void aProcessMayContinueAfterAnInfoWithoutClashing() {
        // The format says a client continues under a new number; reusing the number is tolerated, since the
        // info completion closed the operation as far as pairing goes.
        PairedHistory p = History.builder()
                .info(1, Call.put("k", "1"), 0, 10)
                .ok(1, Call.read("k", "1"), 20, 30)
                .build().pair();
        assertThat(p.operations()).hasSize(2);
    }

    @Test
    void malformedLinesAreRejectedNamingTheLine() {
        String good = "{\"process\":1,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"k\",\"value\":\"1\",\"time\":1}\n";
        assertRejected(good + "\n{\"process\":1,", 3, "not valid JSON");
        assertRejected(good + "[1,2]", 2, "expected a JSON object");
        assertRejected(good.replace("\"invoke\"", "\"started\""), 1, "type \"started\" is not one of");
        assertRejected(good.replace("\"put\"", "\"incr\""), 1, "f \"incr\" is not one of");
        assertRejected(good.replace("\"time\":1", "\"time\":\"1\""), 1, "field \"time\" must be an integer");
        assertRejected(good.replace(",\"key\":\"k\"", ""), 1, "field \"key\" must be a string, found nothing");
        assertRejected(good.replace("\"value\":\"1\"", "\"value\":null"), 1, "a put needs a string value");
        assertRejected(good.replace("\"put\"", "\"cas\""), 1, "a cas has value [expected, new]");
        assertRejected(good.replace("\"value\":\"1\"", "\"value\":{\"a\":1}"), 1, "put value must be a string");
        assertRejected(good.replace("\"put\"", "\"get\""), 1, "a get's invoke has value null");
    }

    private static void assertRejected(String jsonLines, int line, String message) {
        assertThatThrownBy(() -> History.parse(jsonLines))
                .isInstanceOf(HistoryFormatException.class)
                .hasMessageStartingWith("history line " + line + ": ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((HistoryFormatException) e).line()).isEqualTo(line));
    }

    @Test
    void malformedHistoriesAreRejectedNamingTheLine() {
        assertInvalid(List.of(event(1, EventType.OK, Call.put("k", "1"), 5)), 1, "has no open invoke");
        assertInvalid(List.of(
                event(1, EventType.INVOKE, Call.put("k", "1"), 1),
                event(1, EventType.INVOKE, Call.put("k", "2"), 2)), 2, "is still open");
        assertInvalid(List.of(
                event(1, EventType.INVOKE, Call.put("k", "1"), 1),
                event(1, EventType.OK, Call.put("j", "1"), 2)), 2, "but invoked put on \"k\" at line 1");
        assertInvalid(List.of(
                event(1, EventType.INVOKE, Call.put("k", "1"), 1),
                event(1, EventType.OK, Call.delete("k"), 2)), 2, "completes delete");
        assertInvalid(List.of(
                event(1, EventType.INVOKE, Call.put("k", "1"), 10),
                event(1, EventType.OK, Call.put("k", "1"), 9)), 2, "is before its invoke time");
        assertInvalid(List.of(
                event(1, EventType.INVOKE, Call.put("k", "1"), 1),
                event(1, EventType.OK, Call.put("k", "2"), 2)), 2, "differs from the invoke's");
    }

    private static HistoryEvent event(long process, EventType type, Call call, long time) {
        return new HistoryEvent(process, type, call, time);
    }

    private static void assertInvalid(List<HistoryEvent> events, int line, String message) {
        assertThatThrownBy(() -> LinearizabilityChecker.check(History.of(events)))
                .isInstanceOf(HistoryFormatException.class)
                .hasMessageStartingWith("history line " + line + ": ")
                .hasMessageContaining(message);
    }

    @Test
    void lineNumbersCountBlankLinesInAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("h.jsonl");
        Files.writeString(file,
                "\n\n{\"process\":1,\"type\":\"ok\",\"f\":\"delete\",\"key\":\"k\",\"value\":null,\"time\":1}\n");
        assertThatThrownBy(() -> LinearizabilityChecker.check(file))
                .isInstanceOf(HistoryFormatException.class)
                .hasMessageStartingWith("history line 3: process 1 completes (ok) a delete");
    }

    /**
     * Eight threads run random operations against a map whose operations are atomic, recording through one
     * recorder stamped with the real clock: whatever the interleaving, the history must check as linearizable,
     * both from memory and from the file the recorder streamed.
     */
    @Test
    void aRecorderSharedByConcurrentClientsRecordsACheckableHistory(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("raftkv.lin.recorderSeed", new SplittableRandom().nextLong());
        System.out.println("recorder test seed " + seed + " (operations replay with -Draftkv.lin.recorderSeed=" + seed
                + "; the interleaving is the threads')");
        Map<String, String> store = new ConcurrentHashMap<>();
        Path file = dir.resolve("history.jsonl");
        int threads = 8;
        int opsPerThread = 500;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        History.Recorder recorder = History.recorder(file);
        for (int t = 0; t < threads; t++) {
            SplittableRandom random = new SplittableRandom(seed + t);
            int process = t;
            clients.add(new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < opsPerThread; i++) {
                    String key = "k" + random.nextInt(3);
                    String value = process + "-" + i;
                    switch (random.nextInt(4)) {
                        case 0 -> {
                            recorder.invoke(process, Call.put(key, value));
                            store.put(key, value);
                            recorder.ok(process, Call.put(key, value));
                        }
                        case 1 -> {
                            recorder.invoke(process, Call.get(key));
                            String read = store.get(key);
                            recorder.ok(process, Call.read(key, read));
                        }
                        case 2 -> {
                            recorder.invoke(process, Call.delete(key));
                            store.remove(key);
                            recorder.ok(process, Call.delete(key));
                        }
                        default -> {
                            String expected = store.get(key);
                            Call cas = Call.cas(key, expected, value);
                            recorder.invoke(process, cas);
                            boolean swapped = expected == null
                                    ? store.putIfAbsent(key, value) == null
                                    : store.replace(key, expected, value);
                            if (swapped) {
                                recorder.ok(process, cas);
                            } else {
                                recorder.fail(process, cas);
                            }
                        }
                    }
                }
            }, "client-" + t));
        }
        clients.forEach(Thread::start);
        start.countDown();
        for (Thread c : clients) {
            c.join();
        }
        recorder.close();
        History h = recorder.history();
        assertThat(h.events()).hasSize(2 * threads * opsPerThread);
        CheckResult inMemory = LinearizabilityChecker.check(h);
        System.out.println("recorded: " + inMemory.summary());
        assertThat(inMemory).isInstanceOf(CheckResult.Linearizable.class);
        CheckResult fromFile = LinearizabilityChecker.check(file);
        assertThat(fromFile).isInstanceOf(CheckResult.Linearizable.class);
        assertThat(History.read(file).events()).isEqualTo(h.events());
    }
}
