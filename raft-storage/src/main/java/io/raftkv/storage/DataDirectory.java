package io.raftkv.storage;

import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A node's data directory: its identity ({@code raftkv.meta}: format version, cluster id, node id, the
 * membership the cluster was bootstrapped with), an exclusive lock against a second process, and the
 * locations of the log, hard state and snapshots.
 *
 * <pre>
 *   raftkv.meta      identity, written once when the directory is created
 *   LOCK             held (flock) while a process uses the directory
 *   hardstate        term and vote
 *   log/             segment files
 *   snapshots/       published snapshots, one directory each
 * </pre>
 *
 * A directory of another cluster or node, or one that is not empty but has no identity, is refused (before
 * anything is created in it). A directory already open, in this process or another, is refused too.
 */
public final class DataDirectory implements Closeable {

    static final String META = "raftkv.meta";
    static final String LOCK = "LOCK";
    private static final String FORMAT_VERSION = "1";

    private final Path root;
    private final String clusterId;
    private final NodeId nodeId;
    private final Configuration initialMembership;
    /** Real paths of the data directories open in this process. */
    private static final Set<Path> OPEN_IN_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Path key;
    private boolean closed;

    private DataDirectory(Path root, String clusterId, NodeId nodeId, Configuration initialMembership,
                          FileChannel lockChannel, FileLock lock, Path key) {
        this.root = root;
        this.clusterId = clusterId;
        this.nodeId = nodeId;
        this.initialMembership = initialMembership;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.key = key;
    }

    /**
     * Opens {@code root} for node {@code nodeId} of cluster {@code clusterId}. An absent or empty directory is
     * initialised with {@code bootstrapMembership} (which must then be given); an existing one must carry the
     * same cluster id and node id.
     */
    public static DataDirectory open(Path root, String clusterId, NodeId nodeId, Configuration bootstrapMembership)
            throws IOException {
        if (clusterId == null || !clusterId.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("cluster id must be 1 to 64 characters of [A-Za-z0-9._-], got '"
                    + clusterId + "'");
        }
        Files.createDirectories(root);
        // Refuse a foreign directory before creating anything in it (the check is repeated under the lock).
        if (!Files.exists(root.resolve(META))) {
            refuseIfForeign(root);
        }
        // The OS lock belongs to the process, and closing any channel of the LOCK file releases it: a second
        // open in this process must therefore be refused before it opens a channel of its own.
        Path key = root.toRealPath();
        if (!OPEN_IN_THIS_PROCESS.add(key)) {
            throw new IOException("data directory " + root + " is in use: it is already open in this process; "
                    + "close it first or choose another --data-dir");
        }
        FileChannel lockChannel;
        FileLock lock;
        try {
            lockChannel = FileChannel.open(root.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                lockChannel.close();
                throw new IOException("data directory " + root + " is in use by another raftkv process (" + LOCK
                        + " is locked); stop that process or choose another --data-dir");
            }
        } catch (IOException | RuntimeException e) {
            OPEN_IN_THIS_PROCESS.remove(key);
            throw e;
        }
        try {
            Path meta = root.resolve(META);
            Configuration membership;
            if (!Files.exists(meta)) {
                refuseIfForeign(root);
                if (bootstrapMembership == null) {
                    throw new IllegalArgumentException("data directory " + root
                            + " is empty: the membership to bootstrap the cluster with is needed");
                }
                membership = bootstrapMembership;
                Map<String, String> v = new LinkedHashMap<>();
                v.put("format-version", FORMAT_VERSION);
                v.put("cluster-id", clusterId);
                v.put("node-id", nodeId.value());
                v.put("initial-voters", NodeIdList.format(membership.voters()));
                v.put("initial-learners", NodeIdList.format(membership.learners()));
                if (!membership.addresses().isEmpty()) {
                    v.put("initial-configuration",
                            Base64.getEncoder().encodeToString(membership.encode()));
                }
                ChecksummedProperties.write(meta, v);
            } else {
                String advice = "The identity of this data directory is unreadable. Restore it from a backup or "
                        + "rebuild this node from its peers";
                Map<String, String> v = ChecksummedProperties.read(meta, advice);
                if (!FORMAT_VERSION.equals(v.get("format-version"))) {
                    throw new StorageCorruptionException(meta, -1, "format version " + v.get("format-version")
                            + " is not supported (this version reads " + FORMAT_VERSION + ")",
                            "Run the raftkv version that wrote this data directory");
                }
                if (!clusterId.equals(v.get("cluster-id"))) {
                    throw new StorageCorruptionException(meta, -1, "this data directory belongs to cluster '"
                            + v.get("cluster-id") + "', not '" + clusterId + "'",
                            "Use this node's own data directory, or an empty one to join cluster '" + clusterId
                                    + "'");
                }
                if (!nodeId.value().equals(v.get("node-id"))) {
                    throw new StorageCorruptionException(meta, -1, "this data directory belongs to node '"
                            + v.get("node-id") + "', not '" + nodeId + "'",
                            "Start node '" + v.get("node-id") + "' on it, or give node '" + nodeId
                                    + "' its own data directory");
                }
                membership = new Configuration(NodeIdList.parse(v.get("initial-voters")),
                        NodeIdList.parse(v.get("initial-learners")));
                if (v.containsKey("initial-configuration")) {
                    try {
                        Configuration full = Configuration.decode(
                                Base64.getDecoder().decode(v.get("initial-configuration")));
                        if (!full.voters().equals(membership.voters())
                                || !full.learners().equals(membership.learners())) {
                            throw new IllegalArgumentException("it names other members than initial-voters and "
                                    + "initial-learners");
                        }
                        membership = full;
                    } catch (IllegalArgumentException e) {
                        throw new StorageCorruptionException(meta, -1, "initial-configuration is invalid: "
                                + e.getMessage(), advice);
                    }
                }
            }
            return new DataDirectory(root, clusterId, nodeId, membership, lockChannel, lock, key);
        } catch (IOException | RuntimeException e) {
            try {
                lock.release();
                lockChannel.close();
            } finally {
                OPEN_IN_THIS_PROCESS.remove(key);
            }
            throw e;
        }
    }

    /**
     * The cluster id stored in the data directory at {@code root}, or empty if it has none yet (absent or
     * empty directory).
     *
     * @throws StorageCorruptionException if the identity file exists but cannot be read
     */
    public static java.util.Optional<String> storedClusterId(Path root) throws IOException {
        Path meta = root.resolve(META);
        if (!Files.exists(meta)) {
            return java.util.Optional.empty();
        }
        Map<String, String> v = ChecksummedProperties.read(meta, "The identity of this data directory is "
                + "unreadable. Restore it from a backup or rebuild this node from its peers");
        return java.util.Optional.ofNullable(v.get("cluster-id"));
    }

    /** Refuses a directory without identity that holds anything but a lock file or an unfinished identity. */
    private static void refuseIfForeign(Path root) throws IOException {
        try (Stream<Path> files = Files.list(root)) {
            Set<String> others = files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(LOCK) && !n.equals(META + ".tmp")).collect(Collectors.toSet());
            if (!others.isEmpty()) {
                throw new StorageCorruptionException(root, -1, "directory is not empty (" + others
                        + ") but has no " + META + ", so it is not a raftkv data directory",
                        "Point --data-dir at an empty directory or at this node's own data directory");
            }
        }
    }



    public Path root() {
        return root;
    }

    public String clusterId() {
        return clusterId;
    }

    public NodeId nodeId() {
        return nodeId;
    }

    /** The membership the cluster was created with. */
    public Configuration initialMembership() {
        return initialMembership;
    }

    public Path logDirectory() {
        return root.resolve("log");
    }

    public Path snapshotDirectory() {
        return root.resolve("snapshots");
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } finally {
            try {
                lockChannel.close();
            } finally {
                OPEN_IN_THIS_PROCESS.remove(key);
            }
        }
    }
}
