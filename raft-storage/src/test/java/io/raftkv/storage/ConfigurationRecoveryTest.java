package io.raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.NodeId;
import io.raftkv.storage.log.SegmentedLog;
import io.raftkv.storage.snapshot.SnapshotWriter;
import io.raftkv.storage.snapshot.StoredSnapshot;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A restarting node must come back in the membership that was in force: that of the latest configuration
 * entry in its log, or its snapshot's if none follows it, whatever truncations, compactions and crashes
 * happened before.
 */
class ConfigurationRecoveryTest {

    private static final NodeId NODE = NodeId.of("n1");
    private static final Configuration BOOTSTRAP = Configuration.ofVoters("n1", "n2", "n3");
    private static final Configuration PLUS_LEARNER = new Configuration(BOOTSTRAP.voters(), Set.of(NodeId.of("n4")));
    private static final Configuration PLUS_VOTER = Configuration.ofVoters("n1", "n2", "n3", "n4");
    /** Small segments, so entries spread over several files. */
    private static final DurableStorage.Options OPTIONS = new DurableStorage.Options(new SegmentedLog.Options(200, 0));

    private Path root;
    private DurableStorage storage;

    @BeforeEach
    void open() throws IOException {
        root = Scratch.directory("config-recovery");
        storage = reopen();
    }

    @AfterEach
    void close() throws IOException {
        storage.close();
        Scratch.deleteTree(root);
    }

    private DurableStorage reopen() throws IOException {
        if (storage != null) {
            storage.close();
        }
        storage = DurableStorage.open(root, "c", NODE, BOOTSTRAP, OPTIONS);
        return storage;
    }

    private void append(Entry... entries) throws IOException {
        storage.append(List.of(entries));
        storage.sync();
    }

    private static Entry command(long index) {
        return Entry.command(index, 1, new byte[40]);
    }

    @Test
    void aFreshLogIsInTheBootstrapMembership() throws IOException {
        assertThat(reopen().configuration()).isEqualTo(BOOTSTRAP);
        assertThat(storage.configurationEntries()).isEmpty();
    }

    @Test
    void theLatestConfigurationEntryIsInForceAfterARestart() throws IOException {
        append(Entry.noop(1, 1), Entry.configuration(2, 1, PLUS_LEARNER), command(3), command(4),
                Entry.configuration(5, 1, PLUS_VOTER), command(6), command(7));
        assertThat(storage.configuration()).isEqualTo(PLUS_VOTER);
        assertThat(reopen().configuration()).isEqualTo(PLUS_VOTER);
        assertThat(storage.configurationEntries()).extracting(Entry::index).containsExactly(2L, 5L);
        assertThat(storage.segmentCount()).isGreaterThan(1);
    }

    @Test
    void aTruncatedConfigurationEntryNoLongerCountsAfterARestart() throws IOException {
        append(Entry.noop(1, 1), Entry.configuration(2, 1, PLUS_LEARNER), command(3),
                Entry.configuration(4, 1, PLUS_VOTER), command(5));
        // A new leader's entries replace everything from index 4 on.
        append(Entry.noop(4, 2), Entry.command(5, 2, new byte[3]));
        assertThat(storage.configuration()).isEqualTo(PLUS_LEARNER);
        assertThat(reopen().configuration()).isEqualTo(PLUS_LEARNER);
        append(Entry.noop(2, 3));
        assertThat(reopen().configuration()).isEqualTo(BOOTSTRAP);
    }

    @Test
    void afterCompactionTheSnapshotsMembershipIsTheBaseAndLaterEntriesStillCount() throws IOException {
        append(Entry.noop(1, 1), Entry.configuration(2, 1, PLUS_LEARNER), command(3), command(4), command(5),
                command(6));
        compact(4, PLUS_LEARNER, 0);
        assertThat(reopen().configuration()).isEqualTo(PLUS_LEARNER);
        assertThat(storage.configurationEntries()).isEmpty();
        append(Entry.configuration(7, 1, PLUS_VOTER));
        compact(6, PLUS_LEARNER, 3); // the configuration entry after the snapshot stays in force
        assertThat(reopen().configuration()).isEqualTo(PLUS_VOTER);
        assertThat(storage.configurationEntries()).extracting(Entry::index).containsExactly(7L);
    }

    @Test
    void anInstalledSnapshotReplacesTheConfigurationOfADiscardedLog() throws IOException {
        append(Entry.noop(1, 1), Entry.configuration(2, 1, PLUS_VOTER), command(3));
        StoredSnapshot meta = publish(10, 4, PLUS_LEARNER);
        storage.installSnapshot(meta);
        assertThat(reopen().configuration()).isEqualTo(PLUS_LEARNER);
    }

    @Test
    void aConfigurationEntryTornByACrashIsNotInForce() throws IOException {
        append(Entry.noop(1, 1), Entry.configuration(2, 1, PLUS_LEARNER));
        storage.append(List.of(Entry.configuration(3, 1, PLUS_VOTER)));
        storage.sync();
        storage.close();
        Path tail;
        try (Stream<Path> files = Files.list(root.resolve("log"))) {
            tail = files.filter(p -> p.toString().endsWith(".seg")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(tail, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 3);
        }
        storage = null;
        assertThat(reopen().configuration()).isEqualTo(PLUS_LEARNER);
        assertThat(storage.lastIndex()).isEqualTo(2);
    }

    private void compact(long index, Configuration config, long keep) throws IOException {
        storage.compactTo(publish(index, storage.term(index), config), keep);
    }

    private StoredSnapshot publish(long index, long term, Configuration config) throws IOException {
        try (SnapshotWriter w = storage.beginSnapshot(index, term, config)) {
            w.data().write(new byte[] {1, 2, 3});
            return w.publish();
        }
    }
}
