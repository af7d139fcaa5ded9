package io.raftkv.server;

import io.raftkv.core.NodeId;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.message.SnapshotChunk;
import io.raftkv.core.message.SnapshotChunkAck;
import io.raftkv.storage.RaftStorage;
import io.raftkv.storage.snapshot.SnapshotWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower's side of a snapshot transfer: stages incoming chunks in an unpublished snapshot, acknowledging
 * each with the offset it holds. A chunk whose checksum fails is dropped (the sender resends it); data whose
 * whole checksum fails is discarded and the transfer refused: a damaged snapshot is never installed. Once the
 * data is complete and verified it is synced and handed over; the core then decides whether to install it.
 *
 * <p>One transfer is staged at a time; an offer for the snapshot already being staged resumes it. Called from
 * one thread at a time (the server's snapshot receiving thread), never the loop.
 */
final class SnapshotReceiver {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotReceiver.class);

    /** Complete, verified snapshot data from {@code leader}, not yet published. */
    record Staged(NodeId leader, long term, SnapshotMeta meta, SnapshotWriter writer) {
    }

    /** Where complete snapshots go (to the loop thread, which steps them into the core). */
    interface Completion {
        void complete(Staged staged);
    }

    private record Transfer(NodeId leader, long term, SnapshotMeta meta, long totalBytes, long totalCrc,
                            SnapshotWriter writer, OutputStream data) {
        boolean sameAs(SnapshotChunk c) {
            return leader.equals(c.from()) && term == c.term() && meta.equals(c.snapshot())
                    && totalBytes == c.totalBytes() && totalCrc == c.totalCrc();
        }
    }

    private final NodeId self;
    private final RaftStorage storage;
    private final MessageSender out;
    private final LongSupplier currentTerm;
    private final SnapshotCounters counters;
    private final Completion completion;
    private Transfer current;

    SnapshotReceiver(NodeId self, RaftStorage storage, MessageSender out, LongSupplier currentTerm,
                     SnapshotCounters counters, Completion completion) {
        this.self = self;
        this.storage = storage;
        this.out = out;
        this.currentTerm = currentTerm;
        this.counters = counters;
        this.completion = completion;
    }

    void receive(SnapshotChunk c) {
        if (c.term() < currentTerm.getAsLong()) {
            ack(c, 0, "term " + c.term() + " is stale (this node is in term " + currentTerm.getAsLong() + ")");
            return;
        }
        try {
            if (current == null || !current.sameAs(c)) {
                if (c.offset() != 0) {
                    ack(c, 0, null); // not staged here (restarted, or another transfer replaced it): start over
                    return;
                }
                discard();
                SnapshotWriter w = storage.beginSnapshot(c.snapshot().index(), c.snapshot().term(),
                        c.snapshot().configuration());
                current = new Transfer(c.from(), c.term(), c.snapshot(), c.totalBytes(), c.totalCrc(), w, w.data());
            }
            Transfer t = current;
            long held = t.writer().bytesWritten();
            if (c.data().length == 0 && c.offset() == 0 && held > 0) {
                counters.transfersResumed.incrementAndGet(); // an offer for what is half here: continue
                LOG.info("{}: resuming snapshot {} from {} at offset {}", self, t.meta().index(), c.from(), held);
            }
            if (c.data().length > 0) {
                counters.chunksReceived.incrementAndGet();
            }
            if (c.offset() == held && c.data().length > 0) {
                CRC32C crc = new CRC32C();
                crc.update(c.data());
                if (crc.getValue() != c.crc()) {
                    counters.chunksRefused.incrementAndGet();
                    LOG.warn("{}: snapshot {} chunk at offset {} from {} fails its checksum; asking for it again",
                            self, t.meta().index(), c.offset(), c.from());
                } else {
                    t.data().write(c.data());
                    held += c.data().length;
                }
            }
            if (held < t.totalBytes()) {
                ack(c, held, null);
                return;
            }
            current = null;
            if (t.writer().crc() != t.totalCrc()) {
                t.writer().close();
                LOG.warn("{}: snapshot {}/{} from {} fails its whole-data checksum; discarded", self,
                        t.meta().index(), t.meta().term(), t.leader());
                ack(c, 0, "the snapshot data fails its checksum");
                return;
            }
            t.writer().sync();
            completion.complete(new Staged(t.leader(), t.term(), t.meta(), t.writer()));
            ack(c, held, null);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: storing snapshot {} from {} failed: {}", self, c.snapshot().index(), c.from(), e.toString());
            discard();
            ack(c, 0, "the receiver could not store it: " + e.getMessage());
        }
    }

    /** Drops a partly received snapshot (closing the server, or a newer transfer replaces it). */
    void discard() {
        if (current != null) {
            try {
                current.writer().close();
            } catch (IOException e) {
                LOG.warn("{}: removing a partly received snapshot failed: {}", self, e.toString());
            }
            current = null;
        }
    }

    private void ack(SnapshotChunk c, long nextOffset, String refusal) {
        out.send(new SnapshotChunkAck(self, c.from(), c.term(), c.snapshot().index(), nextOffset, refusal));
    }
}
