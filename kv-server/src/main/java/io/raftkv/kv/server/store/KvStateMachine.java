package io.raftkv.kv.server.store;

import io.raftkv.server.Command;
import io.raftkv.server.StateCapture;
import io.raftkv.server.StateMachine;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-value state machine on an embedded RocksDB (one per node). Every key carries a revision: the log
 * index of the command that last wrote it. A table of client sessions remembers each session's last sequence
 * number and result, so a retried write is answered from the table instead of being applied twice; idle
 * sessions expire by the leader timestamps carried in the commands, so every node expires the same sessions
 * at the same log position.
 *
 * <p>Each {@link #apply} batch is one atomic RocksDB write that also records the applied index; after a
 * restart the log is replayed from the applied index RocksDB kept, and commands at or below it are skipped.
 * RocksDB's own write-ahead log is off: the Raft log is the durable record of every command, so writing each
 * batch a second time (a write system call and as many bytes again for the disk to take in, on every node)
 * bought nothing. What RocksDB keeps across a crash is then what its memtables had flushed; with
 * {@code atomic_flush} every column family is flushed together, so that state is the state after some batch,
 * applied index included, and the log replays the rest. Two places make sure the log still holds the rest:
 * {@link #close} flushes, and a snapshot's {@link StateCapture#writeTo} flushes before it returns, so the log is
 * never compacted past what RocksDB holds durably (if it were, start-up would restore the snapshot instead:
 * slower, still correct).
 *
 * <p>Column families: {@code default} (key → 8-byte revision + value), {@code sessions} (client id →
 * sequence, last active time, encoded result), {@code meta} (applied index, clock, next expiry scan).
 */
public final class KvStateMachine implements StateMachine<KvResult>, AutoCloseable {

    /** A value with its revision. */
    public record Versioned(byte[] value, long revision) {
    }

    /** One key of a scan. */
    public record Item(byte[] key, byte[] value, long revision) {
    }

    /** A page of a scan; {@code more} if further keys matched beyond the limit. */
    public record ScanPage(List<Item> items, boolean more) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);
    private static final byte[] APPLIED = "applied-index".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOCK = "clock".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEXT_EXPIRY = "next-expiry".getBytes(StandardCharsets.US_ASCII);

    static {
        RocksDB.loadLibrary();
    }

    private final long sessionTtlMillis;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final WriteOptions writeOptions;
    private final RocksDB db;
    private final ColumnFamilyHandle data;
    private final ColumnFamilyHandle sessions;
    private final ColumnFamilyHandle meta;
    private final List<ColumnFamilyHandle> handles;
    /**
     * Apply thread only: client id to its session record as last written ({@link #NO_SESSION} if it has none), for
     * every session this process has touched; cleared on restore and on a failed write. Bounded by the sessions
     * alive, which expire.
     */
    private final Map<String, byte[]> sessionCache = new HashMap<>();
    private static final byte[] NO_SESSION = new byte[0];
    /** Marks a data key deleted earlier in the same batch (compared by identity). */
    private static final byte[] DELETED = new byte[0];
    private volatile long appliedIndex;
    /** Operations actually applied since this process opened the store (retries answered from sessions excluded). */
    private final AtomicLong operationsApplied = new AtomicLong();
    private long clock;
    private long nextExpiry;

    private KvStateMachine(long sessionTtlMillis, DBOptions dbOptions, ColumnFamilyOptions cfOptions, RocksDB db,
                           List<ColumnFamilyHandle> handles) throws RocksDBException {
        this.sessionTtlMillis = sessionTtlMillis;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.writeOptions = new WriteOptions().setSync(false).setDisableWAL(true);
        this.db = db;
        this.handles = handles;
        this.data = handles.get(0);
        this.sessions = handles.get(1);
        this.meta = handles.get(2);
        this.appliedIndex = readLong(APPLIED);
        this.clock = readLong(CLOCK);
        this.nextExpiry = readLong(NEXT_EXPIRY);
    }

    /** Opens (creating if needed) the store in {@code dir}; sessions idle longer than {@code sessionTtl} expire. */
    public static KvStateMachine open(Path dir, Duration sessionTtl) throws IOException {
        Files.createDirectories(dir);
        DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setAtomicFlush(true);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor("sessions".getBytes(StandardCharsets.US_ASCII), cfOptions),
                new ColumnFamilyDescriptor("meta".getBytes(StandardCharsets.US_ASCII), cfOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new KvStateMachine(sessionTtl.toMillis(), dbOptions, cfOptions, db, handles);
        } catch (RocksDBException e) {
            dbOptions.close();
            cfOptions.close();
            throw new IOException("cannot open the key-value store in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Operations applied since this process opened the store; a retried session write answered from the session
     * table does not count. For tests and metrics.
     */
    public long operationsApplied() {
        return operationsApplied.get();
    }

    /** Index of the last command applied (0 while a snapshot is being restored). */
    @Override
    public long appliedIndex() {
        return appliedIndex;
    }

    // ------------------------------------------------------------------------------------------------ apply

    /**
     * Applies a batch as one atomic RocksDB write. Reads within the batch see its earlier writes through
     * {@link ApplyBatch}'s pending map (a plain {@code WriteBatch} plus a hash map costs less than an indexed
     * batch), and client sessions are read from {@link #sessionCache}, so a write with a session does not cost a
     * RocksDB lookup (the profile of a 64-client put benchmark put a third of the apply thread's native time in
     * that lookup).
     */
    @Override
    public List<KvResult> apply(List<Command> commands) {
        List<KvResult> results = new ArrayList<>(commands.size());
        try (ApplyBatch batch = new ApplyBatch()) {
            long applied = appliedIndex;
            for (Command c : commands) {
                if (c.index() <= applied) {
                    results.add(new KvResult.Rejected("already applied before a restart"));
                    continue;
                }
                KvCommand cmd;
                try {
                    cmd = KvCommandCodec.decode(c.data());
                } catch (IllegalArgumentException e) {
                    // Every node sees the same bytes, so every node rejects them alike: the state stays identical.
                    results.add(new KvResult.Rejected("malformed command: " + e.getMessage()));
                    applied = c.index();
                    continue;
                }
                results.add(applyOne(batch, c.index(), cmd));
                applied = c.index();
            }
            batch.writes.put(meta, APPLIED, longBytes(applied));
            batch.writes.put(meta, CLOCK, longBytes(clock));
            batch.writes.put(meta, NEXT_EXPIRY, longBytes(nextExpiry));
            db.write(writeOptions, batch.writes);
            appliedIndex = applied;
        } catch (RocksDBException | RuntimeException e) {
            sessionCache.clear(); // it may hold records of the batch that was not written; RocksDB is the truth
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("the key-value store could not apply commands up to index "
                    + commands.get(commands.size() - 1).index() + ": " + e.getMessage(), e);
        }
        return results;
    }

    private KvResult applyOne(ApplyBatch batch, long index, KvCommand cmd) throws RocksDBException {
        clock = Math.max(clock, cmd.timestampMillis());
        if (clock >= nextExpiry) {
            expireSessions(batch);
            nextExpiry = clock + Math.max(1, sessionTtlMillis / 4);
        }
        ClientSession session = cmd.session();
        byte[] sessionKey = null;
        if (session != null) {
            sessionKey = session.clientId().getBytes(StandardCharsets.UTF_8);
            byte[] stored = session(session.clientId(), sessionKey);
            if (stored != null) {
                ByteBuffer b = ByteBuffer.wrap(stored);
                long lastSequence = b.getLong();
                b.getLong();
                if (session.sequence() == lastSequence) {
                    // A retry of the last write: answer it again, apply nothing.
                    KvResult previous = KvCommandCodec.decodeResult(b);
                    putSession(batch, session.clientId(), sessionKey, sessionRecord(lastSequence, previous));
                    return previous;
                }
                if (session.sequence() < lastSequence) {
                    return new KvResult.Rejected("write " + session.sequence() + " of session " + session.clientId()
                            + " is older than its last write " + lastSequence + "; its result is no longer kept");
                }
            }
        }
        KvResult result = applyOperation(batch, index, cmd.operation());
        if (session != null) {
            putSession(batch, session.clientId(), sessionKey, sessionRecord(session.sequence(), result));
        }
        return result;
    }

    /** The session's stored record: from the cache, or read from RocksDB the first time this process sees it. */
    private byte[] session(String clientId, byte[] sessionKey) throws RocksDBException {
        byte[] cached = sessionCache.get(clientId);
        if (cached != null) {
            return cached.length == 0 ? null : cached;
        }
        byte[] stored = db.get(sessions, sessionKey);
        sessionCache.put(clientId, stored == null ? NO_SESSION : stored);
        return stored;
    }

    private void putSession(ApplyBatch batch, String clientId, byte[] sessionKey, byte[] record)
            throws RocksDBException {
        batch.writes.put(sessions, sessionKey, record);
        sessionCache.put(clientId, record);
    }

    private KvResult applyOperation(ApplyBatch batch, long index, KvOperation op) throws RocksDBException {
        operationsApplied.incrementAndGet();
        if (op instanceof KvOperation.Put p) {
            batch.putData(p.key(), versioned(index, p.value()));
            return new KvResult.Written(index);
        }
        byte[] current = batch.getData(op.key());
        if (op instanceof KvOperation.Delete d) {
            if (current != null) {
                batch.deleteData(d.key());
            }
            return new KvResult.Deleted(current != null, index);
        }
        KvOperation.CompareAndSet cas = (KvOperation.CompareAndSet) op;
        boolean matches = cas.expected() == null ? current == null
                : current != null && Arrays.equals(current, 8, current.length, cas.expected(), 0,
                cas.expected().length);
        if (!matches) {
            return new KvResult.Swapped(false, current == null ? 0 : ByteBuffer.wrap(current).getLong());
        }
        batch.putData(cas.key(), versioned(index, cas.value()));
        return new KvResult.Swapped(true, index);
    }

    /**
     * Deletes the sessions idle for longer than the TTL. Every session is in RocksDB or was written in this batch
     * (then it is active now); the cache, where present, holds the newer record.
     */
    private void expireSessions(ApplyBatch batch) {
        try (RocksIterator it = db.newIterator(sessions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                String clientId = new String(key, StandardCharsets.UTF_8);
                byte[] cached = sessionCache.get(clientId);
                byte[] record = cached != null && cached.length > 0 ? cached : it.value();
                long lastActive = ByteBuffer.wrap(record).getLong(8);
                if (clock - lastActive > sessionTtlMillis) {
                    batch.writes.delete(sessions, key);
                    sessionCache.put(clientId, NO_SESSION);
                }
            }
        } catch (RocksDBException e) {
            throw new IllegalStateException("expiring client sessions failed: " + e.getMessage(), e);
        }
    }

    /**
     * One apply batch: the RocksDB write batch and, for reads within the batch (compare-and-set, delete), the data
     * keys it wrote so far ({@link #DELETED} for a delete).
     */
    private final class ApplyBatch implements AutoCloseable {
        final WriteBatch writes = new WriteBatch();
        private Map<ByteBuffer, byte[]> pending;

        void putData(byte[] key, byte[] value) throws RocksDBException {
            writes.put(data, key, value);
            pending().put(ByteBuffer.wrap(key), value);
        }

        void deleteData(byte[] key) throws RocksDBException {
            writes.delete(data, key);
            pending().put(ByteBuffer.wrap(key), DELETED);
        }

        byte[] getData(byte[] key) throws RocksDBException {
            byte[] p = pending == null ? null : pending.get(ByteBuffer.wrap(key));
            if (p != null) {
                return p == DELETED ? null : p;
            }
            return db.get(data, key);
        }

        private Map<ByteBuffer, byte[]> pending() {
            if (pending == null) {
                pending = new HashMap<>();
            }
            return pending;
        }

        @Override
        public void close() {
            writes.close();
        }
    }

    private byte[] sessionRecord(long sequence, KvResult result) {
        byte[] r = KvCommandCodec.encodeResult(result);
        return ByteBuffer.allocate(16 + r.length).putLong(sequence).putLong(clock).put(r).array();
    }

    // ------------------------------------------------------------------------------------------------ reads

    /** The value and revision of {@code key}, or null if absent. Reads local state: pair with a read barrier. */
    public Versioned get(byte[] key) {
        try {
            byte[] v = db.get(data, key);
            return v == null ? null : new Versioned(Arrays.copyOfRange(v, 8, v.length), ByteBuffer.wrap(v).getLong());
        } catch (RocksDBException e) {
            throw new IllegalStateException("reading a key failed: " + e.getMessage(), e);
        }
    }

    /** Keys in {@code [start, end)} ({@code end} null: unbounded), in order, at most {@code limit}. */
    public ScanPage scan(byte[] start, byte[] end, int limit) {
        List<Item> items = new ArrayList<>();
        boolean more = false;
        try (ReadOptions read = new ReadOptions(); RocksIterator it = db.newIterator(data, read)) {
            for (it.seek(start); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (end != null && Arrays.compareUnsigned(k, end) >= 0) {
                    break;
                }
                if (items.size() == limit) {
                    more = true;
                    break;
                }
                byte[] v = it.value();
                items.add(new Item(k, Arrays.copyOfRange(v, 8, v.length), ByteBuffer.wrap(v).getLong()));
            }
        }
        return new ScanPage(items, more);
    }

    /** The smallest key greater than every key starting with {@code prefix}, or null if there is none. */
    public static byte[] prefixEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ snapshots

    /**
     * A RocksDB snapshot: taking it costs microseconds and freezes what iterators read, so the data is written
     * out on another thread while applying goes on.
     */
    @Override
    public StateCapture captureSnapshot() {
        Snapshot snap = db.getSnapshot();
        return new StateCapture() {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                writeSnapshot(snap, out);
                // Before the snapshot is published and the log compacted: RocksDB must hold durably at least
                // what the snapshot covers (the memtables are flushed in RocksDB's background threads; this
                // snapshot thread waits, applying goes on).
                flushMemtables();
            }

            @Override
            public void close() {
                db.releaseSnapshot(snap);
            }
        };
    }

    /** Every column family in order, each record as (family, key length, key, value length, value); -1 ends. */
    private void writeSnapshot(Snapshot snap, OutputStream out) throws IOException {
        DataOutputStream dout = new DataOutputStream(new BufferedOutputStream(out, 1 << 20));
        try (ReadOptions read = new ReadOptions().setSnapshot(snap).setFillCache(false)) {
            byte family = 0;
            for (ColumnFamilyHandle cf : handles) {
                try (RocksIterator it = db.newIterator(cf, read)) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        dout.writeByte(family);
                        byte[] k = it.key();
                        byte[] v = it.value();
                        dout.writeInt(k.length);
                        dout.write(k);
                        dout.writeInt(v.length);
                        dout.write(v);
                    }
                }
                family++;
            }
            dout.writeByte(-1);
            dout.flush();
        }
    }

    /**
     * Replaces the whole store with a snapshot's records, in batches of about {@link #RESTORE_BATCH_BYTES} so a
     * large snapshot never sits in memory. The applied index is cleared first and comes back with the
     * snapshot's meta records, written last: RocksDB keeps writes in order, so a crash midway leaves a store
     * that reports applied index 0 and is restored again.
     */
    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream din = new DataInputStream(new BufferedInputStream(in, 1 << 20));
        try {
            sessionCache.clear();
            clearFamily(meta);
            clearFamily(sessions);
            clearFamily(data);
            appliedIndex = 0;
            WriteBatch batch = new WriteBatch();
            try {
                while (true) {
                    byte family = din.readByte();
                    if (family == -1) {
                        break;
                    }
                    if (family < 0 || family >= handles.size()) {
                        throw new IOException("snapshot names column family " + family + ", which does not exist");
                    }
                    byte[] k = readChunk(din);
                    byte[] v = readChunk(din);
                    batch.put(handles.get(family), k, v);
                    batch = flushIfFull(batch);
                }
                db.write(writeOptions, batch);
            } finally {
                batch.close();
            }
            appliedIndex = readLong(APPLIED);
            clock = readLong(CLOCK);
            nextExpiry = readLong(NEXT_EXPIRY);
        } catch (RocksDBException e) {
            throw new IOException("restoring the key-value store failed: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new IOException("the snapshot ended early", e);
        }
    }

    private static final long RESTORE_BATCH_BYTES = 8L << 20;

    /** Writes {@code batch} and returns a fresh one once it holds {@link #RESTORE_BATCH_BYTES}; else returns it. */
    private WriteBatch flushIfFull(WriteBatch batch) throws RocksDBException {
        if (batch.getDataSize() < RESTORE_BATCH_BYTES) {
            return batch;
        }
        db.write(writeOptions, batch);
        batch.close();
        return new WriteBatch();
    }

    private void clearFamily(ColumnFamilyHandle cf) throws RocksDBException {
        WriteBatch batch = new WriteBatch();
        try (RocksIterator it = db.newIterator(cf)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                batch.delete(cf, it.key());
                batch = flushIfFull(batch);
            }
            db.write(writeOptions, batch);
        } finally {
            batch.close();
        }
    }

    private static byte[] readChunk(DataInputStream din) throws IOException {
        int n = din.readInt();
        if (n < 0 || n > (64 << 20)) {
            throw new IOException("snapshot record of " + n + " bytes is out of range");
        }
        byte[] b = new byte[n];
        din.readFully(b);
        return b;
    }

    private long readLong(byte[] key) throws RocksDBException {
        byte[] v = db.get(meta, key);
        return v == null ? 0 : ByteBuffer.wrap(v).getLong();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static byte[] versioned(long revision, byte[] value) {
        return ByteBuffer.allocate(8 + value.length).putLong(revision).put(value).array();
    }

    /** Makes everything applied so far durable in RocksDB's files (its write-ahead log is off). */
    void flushMemtables() throws IOException {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush, handles);
        } catch (RocksDBException e) {
            throw new IOException("flushing the key-value store failed: " + e.getMessage(), e);
        }
    }

    /** Flushes the memtables (so the next start replays nothing) and closes the store. */
    @Override
    public void close() {
        try {
            flushMemtables();
        } catch (IOException e) {
            // Nothing is lost: the Raft log still holds every command after what RocksDB keeps.
            LOG.warn("{}; the log is replayed at the next start", e.getMessage());
        }
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        writeOptions.close();
        dbOptions.close();
        cfOptions.close();
    }
}
