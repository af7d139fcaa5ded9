package io.raftkv.server;

import io.raftkv.core.NodeId;
import io.raftkv.core.message.SnapshotChunk;
import io.raftkv.core.message.SnapshotChunkAck;
import io.raftkv.storage.snapshot.StoredSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one snapshot's data to one follower, on its own thread, in checksummed chunks with a window of
 * unacknowledged chunks (flow control). It starts with an offer, to which the receiver answers with how much
 * of this snapshot it already holds, so a transfer cut off midway (a dropped connection, a lost chunk) resumes
 * where it stopped. Without an acknowledgement for a while it resends from the last acknowledged offset; without
 * progress for the transfer timeout, or if this node is no longer leader of the term, it gives up.
 *
 * <p>The data file is opened by the caller before the thread starts: a newer snapshot may replace (delete) it
 * meanwhile, and an open file stays readable.
 */
final class SnapshotSender implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSender.class);

    /** How a transfer ended. */
    interface Outcome {
        void ended(NodeId peer, boolean success, String detail);
    }

    private final NodeId self;
    private final NodeId peer;
    private final long term;
    private final StoredSnapshot snapshot;
    private final FileChannel data;
    private final SnapshotPolicy policy;
    private final MessageSender out;
    private final BooleanSupplier stillLeader;
    private final Outcome outcome;
    private final BlockingQueue<SnapshotChunkAck> acks = new LinkedBlockingQueue<>();
    private volatile boolean cancelled;
    private long bytesSent;

    SnapshotSender(NodeId self, NodeId peer, long term, StoredSnapshot snapshot, FileChannel data, SnapshotPolicy policy,
                   MessageSender out, BooleanSupplier stillLeader, Outcome outcome) {
        this.self = self;
        this.peer = peer;
        this.term = term;
        this.snapshot = snapshot;
        this.data = data;
        this.policy = policy;
        this.out = out;
        this.stillLeader = stillLeader;
        this.outcome = outcome;
    }

    /** An acknowledgement from the peer (any thread). */
    void acknowledged(SnapshotChunkAck ack) {
        acks.offer(ack);
    }

    /** Stops the transfer (the server is closing). */
    void cancel() {
        cancelled = true;
        acks.offer(new SnapshotChunkAck(peer, self, term, snapshot.index(), 0, "cancelled"));
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        boolean success = false;
        String detail;
        try (FileChannel ch = data) {
            detail = transfer(ch);
            success = detail == null;
        } catch (IOException | RuntimeException e) {
            detail = "reading " + snapshot.index() + " failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            detail = "interrupted";
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        if (success) {
            LOG.info("{}: sent snapshot {}/{} ({} bytes, {} on the wire) to {} in {} s ({} MB/s)", self,
                    snapshot.index(), snapshot.term(), snapshot.dataBytes(), bytesSent, peer,
                    String.format("%.2f", seconds), String.format("%.1f", snapshot.dataBytes() / 1e6 / Math.max(seconds, 1e-9)));
        } else {
            LOG.warn("{}: sending snapshot {}/{} to {} failed after {} s: {}", self, snapshot.index(), snapshot.term(),
                    peer, String.format("%.2f", seconds), detail);
        }
        outcome.ended(peer, success, detail);
    }

    /** Runs the transfer; returns null on success, else why it failed. */
    private String transfer(FileChannel ch) throws IOException, InterruptedException {
        long total = snapshot.dataBytes();
        long window = (long) policy.chunkBytes() * policy.chunkWindow();
        long ackTimeoutNanos = policy.chunkAckTimeout().toNanos();
        long acked = -1; // unknown until the offer is answered
        long sent = 0;
        boolean rewound = false;
        long lastProgress = System.nanoTime();
        ByteBuffer buf = ByteBuffer.allocate(policy.chunkBytes());
        sendChunk(0, new byte[0]);
        while (true) {
            if (cancelled) {
                return "cancelled";
            }
            if (!stillLeader.getAsBoolean()) {
                return "no longer leader of term " + term;
            }
            while (acked >= 0 && sent < total && sent - acked < window) {
                int n = (int) Math.min(policy.chunkBytes(), total - sent);
                buf.clear().limit(n);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, sent + buf.position()) < 0) {
                        return "the snapshot file ended at " + (sent + buf.position()) + " of " + total + " bytes";
                    }
                }
                byte[] chunk = new byte[n];
                buf.flip().get(chunk);
                sendChunk(sent, chunk);
                sent += n;
            }
            SnapshotChunkAck ack = acks.poll(ackTimeoutNanos, TimeUnit.NANOSECONDS);
            if (ack == null) {
                if (System.nanoTime() - lastProgress > policy.transferTimeout().toNanos()) {
                    return "no progress for " + policy.transferTimeout().toSeconds() + " s";
                }
                // Chunks or acknowledgements were lost: offer again, or resend from what the peer confirmed.
                if (acked < 0) {
                    sendChunk(0, new byte[0]);
                } else {
                    sent = acked;
                }
                continue;
            }
            if (ack.snapshotIndex() != snapshot.index()) {
                continue; // about an earlier transfer
            }
            if (ack.refusal() != null) {
                return "refused by " + peer + ": " + ack.refusal();
            }
            long next = ack.nextOffset();
            if (next > total) {
                return peer + " claims " + next + " bytes of a " + total + "-byte snapshot";
            }
            if (next > acked) {
                acked = next;
                sent = Math.max(sent, acked);
                rewound = false;
                lastProgress = System.nanoTime();
            } else if (next < sent && !rewound) {
                // The peer is missing the chunk at its offset (lost, or refused for a bad checksum): go back once
                // per stall, not once per acknowledgement of the chunks already sent after it.
                sent = next;
                rewound = true;
            }
            if (acked == total) {
                return null;
            }
        }
    }

    private void sendChunk(long offset, byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        bytesSent += bytes.length;
        out.send(new SnapshotChunk(self, peer, term, snapshot.meta(), snapshot.dataBytes(), snapshot.dataCrc(),
                offset, bytes, crc.getValue()));
    }
}
