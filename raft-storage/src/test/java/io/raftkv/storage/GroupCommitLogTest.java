package io.raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.storage.log.SegmentedLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that {@link GroupCommitLog} makes every write durable in the order it was queued, lets writes that
 * queue up while an fsync is in progress share the next fsync, completes every future (none is lost or left
 * hanging), and fails writes after a write error or after close.
 */
class GroupCommitLogTest {

    private static final NodeId NODE = NodeId.of("n1");
    private static final DurableStorage.Options OPTIONS =
            new DurableStorage.Options(new SegmentedLog.Options(4096, 1 << 16));
    /** Bounded waits: only exceeded if something hangs. */
    private static final long WAIT_SECONDS = 60;

    @TempDir
    Path root;

    @Test
    void writesQueuedWhileTheWriterIsBusyShareOneFsync() throws Exception {
        GroupCommitLog log = new GroupCommitLog(open(), "test-log-writer");
        // The first write's entry list blocks the writer thread inside its commit until every other write is
        // queued, so exactly two commits happen, whatever the threads' timing.
        CountDownLatch writerBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> first = log.write(new HardState(1, NODE), new GatedList(entry(1), writerBusy, release));
        assertThat(writerBusy.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

        Writers writers = new Writers(log, 2);
        List<CompletableFuture<Void>> futures = writers.run(4, 250);
        release.countDown();

        first.get(WAIT_SECONDS, TimeUnit.SECONDS);
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(log.writes()).isEqualTo(1001);
        assertThat(log.syncs()).as("one fsync for the first write, one for the 1000 queued behind it").isEqualTo(2);
        log.close();

        assertDurable(1001, writers.lastHardState());
    }

    @Test
    void writesFromSeveralThreadsAreAllDurableInQueueOrder() throws Exception {
        GroupCommitLog log = new GroupCommitLog(open(), "test-log-writer");
        Writers writers = new Writers(log, 1);
        List<CompletableFuture<Void>> futures = writers.run(3, 100);

        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(log.writes()).isEqualTo(300);
        assertThat(log.syncs()).isBetween(1L, 300L);
        log.close();

        assertDurable(300, writers.lastHardState());
    }

    @Test
    void closeFinishesTheWritesQueuedBeforeIt() throws Exception {
        GroupCommitLog log = new GroupCommitLog(open(), "test-log-writer");
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long i = 1; i <= 50; i++) {
            futures.add(log.write(null, List.of(entry(i))));
        }
        log.close();

        assertThat(futures).allSatisfy(f -> assertThat(f).isCompleted());
        assertDurable(50, HardState.INITIAL);
    }

    @Test
    void aFailedWriteFailsItAndEveryLaterWrite() throws Exception {
        GroupCommitLog log = new GroupCommitLog(open(), "test-log-writer");
        log.write(null, List.of(entry(1), entry(2), entry(3))).get(WAIT_SECONDS, TimeUnit.SECONDS);
        // A gap: the storage rejects it, and after a failed write nothing is known about the log's state.
        CompletableFuture<Void> gap = log.write(null, List.of(entry(10)));
        assertThatThrownBy(() -> gap.get(WAIT_SECONDS, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IOException.class);
        CompletableFuture<Void> later = log.write(null, List.of(entry(4)));
        assertThatThrownBy(() -> later.get(WAIT_SECONDS, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IOException.class);
        log.close();

        assertDurable(3, HardState.INITIAL);
    }

    @Test
    void aWriteAfterCloseFailsInsteadOfHanging() throws Exception {
        // Regression: a write queued after close was never taken by the stopped writer, so its future never
        // completed and its caller waited forever.
        GroupCommitLog log = new GroupCommitLog(open(), "test-log-writer");
        log.write(null, List.of(entry(1))).get(WAIT_SECONDS, TimeUnit.SECONDS);
        log.close();

        CompletableFuture<Void> late = log.write(null, List.of(entry(2)));
        assertThat(late).isCompletedExceptionally();
        assertThatThrownBy(late::join).hasCauseInstanceOf(IOException.class).hasMessageContaining("closed");
        log.close();
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private DurableStorage open() throws IOException {
        return DurableStorage.open(root, "gc", NODE, Configuration.ofVoters("n1"), OPTIONS);
    }

    private void assertDurable(long lastIndex, HardState hardState) throws IOException {
        try (DurableStorage storage = open()) {
            assertThat(storage.lastIndex()).isEqualTo(lastIndex);
            List<Entry> expected = new ArrayList<>();
            for (long i = 1; i <= lastIndex; i++) {
                expected.add(entry(i));
            }
            assertThat(storage.entries(1, lastIndex, Long.MAX_VALUE)).isEqualTo(expected);
            assertThat(storage.hardState()).isEqualTo(hardState);
        }
    }

    static Entry entry(long index) {
        return Entry.command(index, 1, ("entry " + index).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Threads writing one entry each time; an index is taken and its write queued under one lock, so indexes
     * reach the queue in order (as they do from a Raft node's single log writer). Every 50th write also carries a
     * hard state with a higher term.
     */
    private static final class Writers {
        private final GroupCommitLog log;
        private final Object lock = new Object();
        private long nextIndex;
        private long term = 1;
        private HardState lastHardState = new HardState(1, NODE);

        Writers(GroupCommitLog log, long firstIndex) {
            this.log = log;
            this.nextIndex = firstIndex;
        }

        List<CompletableFuture<Void>> run(int threads, int writesEach) throws InterruptedException {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            List<Thread> started = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread thread = new Thread(() -> {
                    for (int w = 0; w < writesEach; w++) {
                        synchronized (lock) {
                            long index = nextIndex++;
                            HardState hs = null;
                            if (index % 50 == 0) {
                                hs = new HardState(++term, NODE);
                                lastHardState = hs;
                            }
                            futures.add(log.write(hs, List.of(entry(index))));
                        }
                    }
                }, "test-writer-" + t);
                thread.start();
                started.add(thread);
            }
            for (Thread thread : started) {
                thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                assertThat(thread.isAlive()).as(thread.getName() + " finished").isFalse();
            }
            synchronized (lock) {
                return new ArrayList<>(futures);
            }
        }

        HardState lastHardState() {
            synchronized (lock) {
                return lastHardState;
            }
        }
    }

    /** One entry, whose first read (by the writer thread, inside its commit) waits for the test's signal. */
    private static final class GatedList extends AbstractList<Entry> {
        private final Entry entry;
        private final CountDownLatch entered;
        private final CountDownLatch release;

        GatedList(Entry entry, CountDownLatch entered, CountDownLatch release) {
            this.entry = entry;
            this.entered = entered;
            this.release = release;
        }

        @Override
        public Entry get(int i) {
            if (entered.getCount() > 0) {
                entered.countDown();
                try {
                    if (!release.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never released the writer");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            if (i != 0) {
                throw new IndexOutOfBoundsException(i);
            }
            return entry;
        }

        @Override
        public int size() {
            return 1;
        }
    }
}
