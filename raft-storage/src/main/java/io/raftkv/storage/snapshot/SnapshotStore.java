package io.raftkv.storage.snapshot;

import io.raftkv.core.Configuration;
import io.raftkv.storage.ChecksummedProperties;
import io.raftkv.storage.FileSync;
import io.raftkv.storage.NodeIdList;
import io.raftkv.storage.StorageCorruptionException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Published snapshots, one directory each ({@code snap-<index>/} holding {@code data} and {@code meta}).
 * A snapshot is written into a temporary directory and published by renaming it, after its files and the
 * directory are synced: a crash leaves either no new snapshot or a complete one. Older snapshots are removed
 * only after the new one is durable. At open, the newest snapshot is verified against its checksums and
 * refused if damaged.
 */
public final class SnapshotStore {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    private static final String PREFIX = "snap-";
    private static final String TMP_PREFIX = "tmp-";
    static final String DATA = "data";
    static final String META = "meta";
    private static final String FORMAT_VERSION = "1";

    private final Path dir;
    /** Written by whichever thread publishes (under this store's lock), read by any. */
    private volatile StoredSnapshot latest;

    /**
     * Opens the store in {@code dir}, verifying the newest snapshot and then removing unfinished temporary
     * snapshots (only once everything is verified: a refused directory is left exactly as found).
     */
    public SnapshotStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        List<Long> published = new ArrayList<>();
        List<Path> unfinished = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (name.startsWith(TMP_PREFIX)) {
                    unfinished.add(p);
                } else if (name.matches(PREFIX + "\\d{20}")) {
                    published.add(Long.parseLong(name.substring(PREFIX.length())));
                } else {
                    throw new StorageCorruptionException(p, -1, "unexpected entry in the snapshot directory",
                            "Only raftkv snapshots belong here; move it elsewhere if it was put here by mistake");
                }
            }
        }
        published.sort(Comparator.reverseOrder());
        if (!published.isEmpty()) {
            latest = verify(dir.resolve(name(published.get(0))));
        }
        for (Path p : unfinished) {
            LOG.warn("{}: removing a snapshot whose writing did not finish (it was never published)", p);
            deleteTree(p);
        }
    }

    /** The newest published snapshot, verified. */
    public Optional<StoredSnapshot> latest() {
        return Optional.ofNullable(latest);
    }

    /** Starts writing a snapshot of the state at {@code index}; nothing is visible until it is published. */
    public SnapshotWriter begin(long index, long term, Configuration configuration) throws IOException {
        Path tmp = dir.resolve(TMP_PREFIX + index + "-" + Long.toHexString(System.nanoTime()));
        Files.createDirectories(tmp);
        return new SnapshotWriter(this, tmp, index, term, configuration);
    }

    /** Streams the data of a published snapshot. */
    public InputStream openData(StoredSnapshot meta) throws IOException {
        return Files.newInputStream(dir.resolve(name(meta.index())).resolve(DATA));
    }

    /** The data file of a published snapshot. */
    public Path dataFile(StoredSnapshot meta) {
        return dir.resolve(name(meta.index())).resolve(DATA);
    }

    /** Called by the writer: makes the snapshot durable and visible, then removes older ones. */
    synchronized StoredSnapshot publish(Path tmp, StoredSnapshot meta) throws IOException {
        if (latest != null && meta.index() <= latest.index()) {
            // Publishing it would delete the newer snapshot below; an older state is never worth that.
            deleteTree(tmp);
            throw new IllegalStateException("snapshot at index " + meta.index() + " is not newer than the published "
                    + "snapshot at index " + latest.index());
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("format-version", FORMAT_VERSION);
        v.put("index", Long.toString(meta.index()));
        v.put("term", Long.toString(meta.term()));
        v.put("voters", NodeIdList.format(meta.configuration().voters()));
        v.put("learners", NodeIdList.format(meta.configuration().learners()));
        if (!meta.configuration().addresses().isEmpty()) {
            // The whole configuration in its entry encoding, which carries the members' addresses.
            v.put("configuration", Base64.getEncoder().encodeToString(meta.configuration().encode()));
        }
        v.put("data-bytes", Long.toString(meta.dataBytes()));
        v.put("data-crc32c", Long.toHexString(meta.dataCrc()));
        ChecksummedProperties.write(tmp.resolve(META), v);
        FileSync.directory(tmp);
        Path target = dir.resolve(name(meta.index()));
        if (Files.exists(target)) {
            deleteTree(tmp);
            throw new IllegalStateException("a snapshot at index " + meta.index() + " is already published");
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        FileSync.directory(dir);
        latest = meta;
        // Only now that the new snapshot is durable may older ones go.
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path p : entries) {
                if (!p.equals(target)) {
                    deleteTree(p);
                }
            }
        }
        FileSync.directory(dir);
        return meta;
    }

    private StoredSnapshot verify(Path snap) throws IOException {
        String advice = "The newest snapshot is damaged and was not used; nothing was deleted. Restore this data "
                + "directory from a backup, or move it aside and rebuild this node from its peers";
        Path metaFile = snap.resolve(META);
        if (!Files.exists(metaFile)) {
            throw new StorageCorruptionException(metaFile, -1, "snapshot metadata is missing", advice);
        }
        Map<String, String> v = ChecksummedProperties.read(metaFile, advice);
        if (!FORMAT_VERSION.equals(v.get("format-version"))) {
            throw new StorageCorruptionException(metaFile, -1, "format version " + v.get("format-version")
                    + " is not supported (this version reads " + FORMAT_VERSION + ")",
                    "Run the raftkv version that wrote this data directory");
        }
        StoredSnapshot meta;
        try {
            Configuration configuration = new Configuration(NodeIdList.parse(v.get("voters")),
                    NodeIdList.parse(v.get("learners")));
            if (v.containsKey("configuration")) {
                Configuration full = Configuration.decode(Base64.getDecoder().decode(v.get("configuration")));
                if (!full.voters().equals(configuration.voters()) || !full.learners().equals(configuration.learners())) {
                    throw new IllegalArgumentException("the encoded configuration " + full
                            + " names other members than the voters and learners listed");
                }
                configuration = full;
            }
            meta = new StoredSnapshot(Long.parseLong(v.get("index")), Long.parseLong(v.get("term")),
                    configuration, Long.parseLong(v.get("data-bytes")), Long.parseUnsignedLong(v.get("data-crc32c"), 16));
        } catch (RuntimeException e) {
            throw new StorageCorruptionException(metaFile, -1, "invalid snapshot metadata: " + e, advice);
        }
        Path data = snap.resolve(DATA);
        long size = Files.exists(data) ? Files.size(data) : -1;
        if (size != meta.dataBytes()) {
            throw new StorageCorruptionException(data, Math.max(size, 0), "snapshot data is " + size
                    + " bytes but its metadata says " + meta.dataBytes(), advice);
        }
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            while (ch.read(buf) > 0) {
                buf.flip();
                crc.update(buf);
                buf.clear();
            }
        }
        if (crc.getValue() != meta.dataCrc()) {
            throw new StorageCorruptionException(data, -1, "snapshot data fails its checksum", advice);
        }
        return meta;
    }

    private static String name(long index) {
        return PREFIX + String.format("%020d", index);
    }



    static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
                for (Path c : entries) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }
}
