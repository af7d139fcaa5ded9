package io.raftkv.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Durable data is damaged or does not belong here, and the node must not start on it. The message names the
 * file, the byte offset where known, what is wrong and what an operator can do. Nothing was deleted or
 * repaired: the data is left exactly as found, for inspection or recovery from a peer.
 */
public final class StorageCorruptionException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    public StorageCorruptionException(Path file, long offset, String problem, String advice) {
        super(file + (offset >= 0 ? " at offset " + offset : "") + ": " + problem + ". " + advice);
        this.file = file;
        this.offset = offset;
    }

    /** The damaged file (or directory). */
    public Path file() {
        return file;
    }

    /** The byte offset of the damage, or -1 if it concerns the whole file. */
    public long offset() {
        return offset;
    }
}
