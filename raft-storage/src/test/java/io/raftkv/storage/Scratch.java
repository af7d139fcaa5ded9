package io.raftkv.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scratch directories for tests that create many of them (one per generated sequence). */
public final class Scratch {

    private Scratch() {
    }

    /**
     * A new empty directory. On Linux it lives in {@code /dev/shm} (memory), because the storage fsyncs on every
     * roll, truncation and metadata write, and property tests run thousands of those: on a real disk each costs
     * milliseconds, which would only measure the disk. Durability itself is not what these tests check.
     */
    public static Path directory(String prefix) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, prefix);
        }
        return Files.createTempDirectory(prefix);
    }

    /** Deletes {@code root} and everything under it, if present. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
