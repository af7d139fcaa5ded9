package io.raftkv.kv.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.server.Command;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RocksDB state machine: revisions, compare-and-set, sessions (exactly-once), expiry, replay, snapshots. */
class KvStateMachineTest {

    @TempDir
    Path dir;

    private long index;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Command cmd(ClientSession session, long time, KvOperation op) {
        return new Command(++index, 1, KvCommandCodec.encode(new KvCommand(session, time, op)));
    }

    private KvResult apply(KvStateMachine sm, Command c) {
        return sm.apply(List.of(c)).get(0);
    }

    @Test
    void everyKeyCarriesTheRevisionOfItsLastWrite() throws Exception {
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            assertThat(apply(sm, cmd(null, 1, new KvOperation.Put(b("a"), b("1"))))).isEqualTo(new KvResult.Written(1));
            apply(sm, cmd(null, 1, new KvOperation.Put(b("b"), b("2"))));
            apply(sm, cmd(null, 1, new KvOperation.Put(b("a"), b("3"))));
            assertThat(sm.get(b("a")).revision()).isEqualTo(3);
            assertThat(sm.get(b("a")).value()).isEqualTo(b("3"));
            assertThat(sm.get(b("b")).revision()).isEqualTo(2);
            assertThat(apply(sm, cmd(null, 1, new KvOperation.Delete(b("b"))))).isEqualTo(new KvResult.Deleted(true, 4));
            assertThat(apply(sm, cmd(null, 1, new KvOperation.Delete(b("b"))))).isEqualTo(new KvResult.Deleted(false, 5));
            assertThat(sm.get(b("b"))).isNull();
        }
    }

    @Test
    void compareAndSetComparesValueOrAbsence() throws Exception {
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            assertThat(apply(sm, cmd(null, 1, new KvOperation.CompareAndSet(b("k"), null, b("v1")))))
                    .isEqualTo(new KvResult.Swapped(true, 1));
            assertThat(apply(sm, cmd(null, 1, new KvOperation.CompareAndSet(b("k"), null, b("v2")))))
                    .isEqualTo(new KvResult.Swapped(false, 1));
            assertThat(apply(sm, cmd(null, 1, new KvOperation.CompareAndSet(b("k"), b("nope"), b("v2")))))
                    .isEqualTo(new KvResult.Swapped(false, 1));
            assertThat(apply(sm, cmd(null, 1, new KvOperation.CompareAndSet(b("k"), b("v1"), b("v2")))))
                    .isEqualTo(new KvResult.Swapped(true, 4));
            assertThat(sm.get(b("k")).value()).isEqualTo(b("v2"));
        }
    }

    @Test
    void aRetriedSessionWriteIsAnsweredFromTheTableAndNotAppliedTwice() throws Exception {
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            ClientSession s1 = new ClientSession("c1", 1);
            KvResult first = apply(sm, cmd(s1, 1, new KvOperation.CompareAndSet(b("k"), null, b("x"))));
            KvResult retry = apply(sm, cmd(s1, 2, new KvOperation.CompareAndSet(b("k"), null, b("x"))));
            assertThat(first).isEqualTo(new KvResult.Swapped(true, 1));
            assertThat(retry).isEqualTo(first); // a second application would have failed the comparison
            assertThat(apply(sm, cmd(new ClientSession("c1", 2), 3, new KvOperation.Put(b("k"), b("y")))))
                    .isEqualTo(new KvResult.Written(3));
            assertThat(apply(sm, cmd(s1, 4, new KvOperation.Put(b("k"), b("z"))))).isInstanceOf(KvResult.Rejected.class);
            assertThat(sm.get(b("k")).value()).isEqualTo(b("y"));
        }
    }

    @Test
    void idleSessionsExpireByTheTimestampsInTheLog() throws Exception {
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofMillis(1000))) {
            apply(sm, cmd(new ClientSession("old", 1), 0, new KvOperation.Put(b("a"), b("1"))));
            apply(sm, cmd(new ClientSession("young", 1), 900, new KvOperation.Put(b("b"), b("1"))));
            apply(sm, cmd(null, 2000, new KvOperation.Put(b("c"), b("1"))));
            // "old" was idle 2000 ms > 1000 ms: its retry is applied afresh; "young" was idle 1100 ms: expired too.
            assertThat(apply(sm, cmd(new ClientSession("old", 1), 2001, new KvOperation.Put(b("a"), b("2")))))
                    .isEqualTo(new KvResult.Written(4));
        }
    }

    @Test
    void commandsAlreadyAppliedBeforeARestartAreSkippedOnReplay() throws Exception {
        List<Command> log = new ArrayList<>();
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            log.add(cmd(null, 1, new KvOperation.Put(b("a"), b("1"))));
            log.add(cmd(null, 1, new KvOperation.CompareAndSet(b("a"), b("1"), b("2"))));
            sm.apply(log);
        }
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            assertThat(sm.appliedIndex()).isEqualTo(2);
            List<KvResult> replay = sm.apply(log);
            assertThat(replay).allMatch(r -> r instanceof KvResult.Rejected);
            assertThat(sm.get(b("a")).value()).isEqualTo(b("2"));
        }
    }

    @Test
    void operationsInOneBatchSeeTheBatchsEarlierWrites() throws Exception {
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            ClientSession s1 = new ClientSession("c1", 1);
            List<KvResult> r = sm.apply(List.of(
                    cmd(null, 1, new KvOperation.Put(b("k"), b("v1"))),
                    cmd(null, 1, new KvOperation.CompareAndSet(b("k"), b("v1"), b("v2"))),
                    cmd(null, 1, new KvOperation.Delete(b("k"))),
                    cmd(null, 1, new KvOperation.CompareAndSet(b("k"), null, b("v3"))),
                    cmd(s1, 1, new KvOperation.Put(b("s"), b("x"))),
                    cmd(s1, 2, new KvOperation.Put(b("s"), b("x"))))); // a retry within the same batch
            assertThat(r).containsExactly(new KvResult.Written(1), new KvResult.Swapped(true, 2),
                    new KvResult.Deleted(true, 3), new KvResult.Swapped(true, 4), new KvResult.Written(5),
                    new KvResult.Written(5));
            assertThat(sm.get(b("k")).value()).isEqualTo(b("v3"));
            assertThat(sm.get(b("s")).revision()).isEqualTo(5);
        }
    }

    @Test
    void sessionsSurviveAReopenAndARestoreForgetsSessionsTheSnapshotDoesNotHold() throws Exception {
        ByteArrayOutputStream empty = new ByteArrayOutputStream();
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            apply(sm, cmd(null, 1, new KvOperation.Put(b("a"), b("1"))));
            try (var capture = sm.captureSnapshot()) {
                capture.writeTo(empty); // no session yet
            }
            assertThat(apply(sm, cmd(new ClientSession("c", 1), 1, new KvOperation.Put(b("k"), b("x")))))
                    .isEqualTo(new KvResult.Written(2));
        }
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            // Reopened: the session is read from RocksDB, and the retry is answered, not applied again.
            assertThat(apply(sm, cmd(new ClientSession("c", 1), 2, new KvOperation.Put(b("k"), b("y")))))
                    .isEqualTo(new KvResult.Written(2));
            assertThat(sm.get(b("k")).value()).isEqualTo(b("x"));
            sm.restore(new ByteArrayInputStream(empty.toByteArray()));
            // The restored state has no session "c": the same write is new there and applies.
            assertThat(apply(sm, cmd(new ClientSession("c", 1), 3, new KvOperation.Put(b("k"), b("z")))))
                    .isEqualTo(new KvResult.Written(4));
            assertThat(sm.get(b("k")).value()).isEqualTo(b("z"));
        }
    }

    @Test
    void aSnapshotRestoresTheSameStateElsewhere() throws Exception {
        ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
        try (KvStateMachine sm = KvStateMachine.open(dir.resolve("one"), Duration.ofHours(1))) {
            for (int i = 0; i < 100; i++) {
                apply(sm, cmd(new ClientSession("c", i + 1), i, new KvOperation.Put(b("k" + i), b("v" + i))));
            }
            try (var capture = sm.captureSnapshot()) {
                // Applied after the capture: must not be in the snapshot.
                apply(sm, cmd(new ClientSession("c", 101), 100, new KvOperation.Put(b("late"), b("x"))));
                capture.writeTo(snapshot);
            }
        }
        try (KvStateMachine other = KvStateMachine.open(dir.resolve("two"), Duration.ofHours(1))) {
            other.apply(List.of(new Command(1, 1, KvCommandCodec.encode(
                    new KvCommand(null, 0, new KvOperation.Put(b("stale"), b("x")))))));
            other.restore(new ByteArrayInputStream(snapshot.toByteArray()));
            assertThat(other.appliedIndex()).isEqualTo(100);
            assertThat(other.get(b("stale"))).isNull();
            assertThat(other.get(b("late"))).isNull();
            assertThat(other.scan(b("k"), KvStateMachine.prefixEnd(b("k")), 1000).items()).hasSize(100);
            // The session table came along: a retry of write 100 is still recognised.
            assertThat(other.apply(List.of(new Command(101, 1, KvCommandCodec.encode(new KvCommand(
                    new ClientSession("c", 100), 200, new KvOperation.Put(b("k99"), b("other")))))))
                    .get(0)).isEqualTo(new KvResult.Written(100));
        }
    }

    @Test
    void scansHonourPrefixAndLimit() throws Exception {
        try (KvStateMachine sm = KvStateMachine.open(dir, Duration.ofHours(1))) {
            for (String k : List.of("a/1", "a/2", "a/3", "b/1")) {
                apply(sm, cmd(null, 1, new KvOperation.Put(b(k), b("v"))));
            }
            KvStateMachine.ScanPage page = sm.scan(b("a/"), KvStateMachine.prefixEnd(b("a/")), 2);
            assertThat(page.items()).extracting(i -> new String(i.key(), StandardCharsets.UTF_8))
                    .containsExactly("a/1", "a/2");
            assertThat(page.more()).isTrue();
            assertThat(sm.scan(b("a/"), KvStateMachine.prefixEnd(b("a/")), 3).more()).isFalse();
        }
    }

    @Test
    void malformedCommandBytesAreRejectedWithAClearError() {
        assertThatThrownBy(() -> KvCommandCodec.decode(new byte[] {1, 1, 0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        byte[] huge = KvCommandCodec.encode(new KvCommand(null, 0, new KvOperation.Put(b("k"), b("v"))));
        huge[13] = 0x7f; // key length now far beyond the bytes present
        assertThatThrownBy(() -> KvCommandCodec.decode(huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exceeds");
    }

    /**
     * RocksDB's write-ahead log is off, so what a crash leaves is what its memtables had flushed. A copy of the
     * files taken while the store is open is exactly that (nothing of the memtables is in them): it must be the
     * state after some batch, its applied index agreeing with its data, and a snapshot's capture must have made
     * everything it covers durable before it returns (the log is compacted after it).
     */
    @Test
    void whatACrashLeavesIsTheStateAfterSomeBatchAndASnapshotMakesWhatItCoversDurable() throws Exception {
        Path live = dir.resolve("live");
        try (KvStateMachine sm = KvStateMachine.open(live, Duration.ofHours(1))) {
            for (int i = 0; i < 50; i++) {
                sm.apply(List.of(cmd(null, 1, new KvOperation.Put(b("k" + i), b("v" + i))),
                        cmd(new ClientSession("c", i + 1), 1, new KvOperation.Put(b("last"), b("" + i)))));
            }
            KvStateMachine crashed = KvStateMachine.open(copyOf(live, dir.resolve("crash-1")), Duration.ofHours(1));
            try (crashed) {
                assertThat(crashed.appliedIndex()).as("no write-ahead log, nothing flushed yet").isLessThan(100);
                assertConsistent(crashed);
            }
            try (var capture = sm.captureSnapshot()) {
                capture.writeTo(new ByteArrayOutputStream());
            }
            sm.apply(List.of(cmd(null, 1, new KvOperation.Put(b("after"), b("snapshot")))));
            try (KvStateMachine crashed2 = KvStateMachine.open(copyOf(live, dir.resolve("crash-2")),
                    Duration.ofHours(1))) {
                assertThat(crashed2.appliedIndex()).as("the snapshot's capture flushed").isEqualTo(100);
                assertConsistent(crashed2);
            }
        }
        try (KvStateMachine reopened = KvStateMachine.open(live, Duration.ofHours(1))) {
            assertThat(reopened.appliedIndex()).as("close flushed everything").isEqualTo(101);
            assertThat(reopened.get(b("after")).value()).isEqualTo(b("snapshot"));
        }
    }

    /** Keys k0..k49 and "last" were written two per batch: the data must be exactly that of the applied index. */
    private static void assertConsistent(KvStateMachine sm) {
        long applied = sm.appliedIndex();
        assertThat(applied % 2).as("applied index %s ends a batch", applied).isZero();
        for (int i = 0; i < 50; i++) {
            boolean written = 2L * i + 1 <= applied;
            assertThat(sm.get(b("k" + i)) != null).as("k%s with applied index %s", i, applied).isEqualTo(written);
        }
        if (applied > 0) {
            assertThat(sm.get(b("last")).value()).isEqualTo(b("" + (applied / 2 - 1)));
        }
    }

    private static Path copyOf(Path from, Path to) throws java.io.IOException {
        java.nio.file.Files.createDirectories(to);
        try (var files = java.nio.file.Files.list(from)) {
            for (Path f : files.toList()) {
                java.nio.file.Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
