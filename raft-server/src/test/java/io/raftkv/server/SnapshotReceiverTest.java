package io.raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.SnapshotChunk;
import io.raftkv.core.message.SnapshotChunkAck;
import io.raftkv.storage.DurableStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The follower's side of a snapshot transfer: checksums refuse damage, offers resume, complete data is handed over. */
class SnapshotReceiverTest {

    private static final NodeId LEADER = NodeId.of("n1");
    private static final NodeId SELF = NodeId.of("n2");
    private static final Configuration MEMBERS = Configuration.ofVoters("n1", "n2", "n3");
    private static final SnapshotMeta META = new SnapshotMeta(500, 3, MEMBERS);
    private static final int CHUNK = 4096;

    @TempDir
    Path dir;

    private DurableStorage storage;
    private final List<SnapshotChunkAck> acks = new ArrayList<>();
    private final List<SnapshotReceiver.Staged> completed = new ArrayList<>();
    private final SnapshotCounters counters = new SnapshotCounters();
    private SnapshotReceiver receiver;
    private final byte[] data = new byte[10_000];

    @BeforeEach
    void setUp() throws Exception {
        storage = DurableStorage.open(dir, "test", SELF, MEMBERS, DurableStorage.Options.defaults());
        receiver = new SnapshotReceiver(SELF, storage, (RaftMessage m) -> acks.add((SnapshotChunkAck) m), () -> 3,
                counters, completed::add);
        new Random(7).nextBytes(data);
    }

    @AfterEach
    void tearDown() throws Exception {
        storage.close();
    }

    private SnapshotChunk chunk(long offset, byte[] bytes, long crc, long totalCrc) {
        return new SnapshotChunk(LEADER, SELF, 3, META, data.length, totalCrc, offset, bytes, crc);
    }

    private SnapshotChunk chunk(int offset, long totalCrc) {
        byte[] bytes = Arrays.copyOfRange(data, offset, Math.min(data.length, offset + CHUNK));
        return chunk(offset, bytes, crc(bytes), totalCrc);
    }

    private static long crc(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return c.getValue();
    }

    private long lastAck() {
        return acks.get(acks.size() - 1).nextOffset();
    }

    @Test
    void aCorruptedChunkIsRefusedAndAskedForAgainThenTheWholeSnapshotIsHandedOver() throws Exception {
        long total = crc(data);
        receiver.receive(chunk(0, new byte[0], crc(new byte[0]), total));
        assertThat(lastAck()).isZero();
        byte[] damaged = Arrays.copyOfRange(data, 0, CHUNK);
        long goodCrc = crc(damaged);
        damaged[100] ^= 0x10; // a bit flipped in transit: the checksum was computed before
        receiver.receive(chunk(0, damaged, goodCrc, total));
        assertThat(lastAck()).as("the damaged chunk is not taken").isZero();
        assertThat(counters.chunksRefused()).isEqualTo(1);
        for (int off = 0; off < data.length; off += CHUNK) {
            receiver.receive(chunk(off, total));
        }
        assertThat(lastAck()).isEqualTo(data.length);
        assertThat(acks).allMatch(a -> a.refusal() == null);
        assertThat(completed).hasSize(1);
        SnapshotReceiver.Staged st = completed.get(0);
        assertThat(st.meta()).isEqualTo(META);
        assertThat(st.leader()).isEqualTo(LEADER);
        var stored = st.writer().publish();
        assertThat(Files.readAllBytes(storage.snapshots().dataFile(stored))).isEqualTo(data);
    }

    @Test
    void dataFailingItsWholeChecksumIsRefusedAndNeverPublished() throws Exception {
        long wrongTotal = crc(data) ^ 1; // e.g. the leader's snapshot file was damaged on its disk after publishing
        receiver.receive(chunk(0, new byte[0], crc(new byte[0]), wrongTotal));
        for (int off = 0; off < data.length; off += CHUNK) {
            receiver.receive(chunk(off, wrongTotal));
        }
        assertThat(completed).isEmpty();
        assertThat(acks.get(acks.size() - 1).refusal()).contains("checksum");
        assertThat(storage.latestSnapshot()).isEmpty();
        try (var files = Files.list(storage.snapshots().dataFile(
                new io.raftkv.storage.snapshot.StoredSnapshot(1, 1, MEMBERS, 0, 0)).getParent().getParent())) {
            assertThat(files).as("no staged or published snapshot is left").isEmpty();
        }
    }

    @Test
    void aNewOfferOfTheSameSnapshotResumesWhereTheDataStopped() {
        long total = crc(data);
        receiver.receive(chunk(0, new byte[0], crc(new byte[0]), total));
        receiver.receive(chunk(0, total));
        receiver.receive(chunk(CHUNK, total));
        // The connection dropped; the leader gives up on this transfer and offers the snapshot again.
        receiver.receive(chunk(0, new byte[0], crc(new byte[0]), total));
        assertThat(lastAck()).isEqualTo(2 * CHUNK);
        assertThat(counters.transfersResumed()).isEqualTo(1);
        receiver.receive(chunk(2 * CHUNK, total));
        assertThat(completed).hasSize(1);
    }

    @Test
    void aChunkFromAStaleTermIsRefused() {
        SnapshotChunk old = new SnapshotChunk(LEADER, SELF, 2, META, data.length, crc(data), 0, new byte[0], crc(new byte[0]));
        receiver.receive(old);
        assertThat(acks.get(0).refusal()).contains("stale");
        assertThat(completed).isEmpty();
    }
}
