package io.raftkv.storage.snapshot;

import io.raftkv.core.Configuration;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Writes one snapshot: the state machine streams its data into {@link #data()}, then {@link #publish()}
 * makes it durable and visible, or {@link #close()} without publishing discards it.
 */
public final class SnapshotWriter implements Closeable {

    private final SnapshotStore store;
    private final Path tmp;
    private final long index;
    private final long term;
    private final Configuration configuration;
    private final FileChannel channel;
    private final CRC32C crc = new CRC32C();
    private long bytes;
    private long syncedBytes;
    /** How much written data may wait for a sync (see {@link #data()}). */
    private static final long SYNC_EVERY_BYTES = 8L << 20;
    private boolean published;

    SnapshotWriter(SnapshotStore store, Path tmp, long index, long term, Configuration configuration)
            throws IOException {
        this.store = store;
        this.tmp = tmp;
        this.index = index;
        this.term = term;
        this.configuration = configuration;
        this.channel = FileChannel.open(tmp.resolve(SnapshotStore.DATA), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
    }

    /** A stream for the snapshot's data; checksummed as it is written. */
    public OutputStream data() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                crc.update(b, off, len);
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    bytes += channel.write(buf);
                }
                if (bytes - syncedBytes >= SYNC_EVERY_BYTES) {
                    // Sync as we go: a gigabyte of dirty pages flushed at once stalls every other fsync on the
                    // disk (the Raft log's, on the write path) for seconds, long enough to cost an election.
                    channel.force(false);
                    syncedBytes = bytes;
                }
            }
        };
    }

    /** Bytes written so far. */
    public long bytesWritten() {
        return bytes;
    }

    /** CRC32C of the bytes written so far. */
    public long crc() {
        return crc.getValue();
    }

    /** Makes the data written so far durable (so that a later {@link #publish()} has little left to sync). */
    public void sync() throws IOException {
        channel.force(true);
    }

    /** Syncs and publishes the snapshot; older snapshots are removed once it is durable. */
    public StoredSnapshot publish() throws IOException {
        channel.force(true);
        channel.close();
        published = true;
        return store.publish(tmp, new StoredSnapshot(index, term, configuration, bytes, crc.getValue()));
    }

    /** Discards the snapshot unless it was published. */
    @Override
    public void close() throws IOException {
        if (!published) {
            channel.close();
            SnapshotStore.deleteTree(tmp);
        }
    }
}
