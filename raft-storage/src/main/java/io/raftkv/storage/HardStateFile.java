package io.raftkv.storage;

import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The current term and vote, in one small file replaced atomically (temporary file, sync, rename, sync the
 * directory): after a crash it holds either the previous or the new state, never a mix. Written before any
 * vote or acknowledgement that depends on it leaves the node.
 */
public final class HardStateFile {

    static final String NAME = "hardstate";
    private static final String FORMAT_VERSION = "1";

    private final Path file;

    public HardStateFile(Path dir) {
        this.file = dir.resolve(NAME);
    }

    /** The stored state, or {@link HardState#INITIAL} if none was ever written. */
    public HardState read() throws IOException {
        if (!Files.exists(file)) {
            return HardState.INITIAL;
        }
        String advice = "The term and vote of this node are unreadable; it must not vote again blindly. Restore "
                + "the data directory from a backup or rebuild this node from its peers";
        Map<String, String> v = ChecksummedProperties.read(file, advice);
        if (!FORMAT_VERSION.equals(v.get("format-version"))) {
            throw new StorageCorruptionException(file, -1, "format version " + v.get("format-version")
                    + " is not supported (this version reads " + FORMAT_VERSION + ")",
                    "Run the raftkv version that wrote this data directory");
        }
        try {
            long term = Long.parseLong(v.getOrDefault("term", ""));
            String vote = v.getOrDefault("voted-for", "");
            return new HardState(term, vote.isEmpty() ? null : NodeId.of(vote));
        } catch (IllegalArgumentException e) {
            throw new StorageCorruptionException(file, -1, "invalid contents: " + e.getMessage(), advice);
        }
    }

    /** Replaces the stored state, durably, before returning. */
    public void write(HardState state) throws IOException {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("format-version", FORMAT_VERSION);
        v.put("term", Long.toString(state.term()));
        v.put("voted-for", state.votedFor() == null ? "" : state.votedFor().value());
        ChecksummedProperties.write(file, v);
    }
}
