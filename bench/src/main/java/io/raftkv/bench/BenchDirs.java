package io.raftkv.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Temporary directories of the benchmarks: where to create them, and removing them afterwards. */
public final class BenchDirs {

    private BenchDirs() {
    }

    /** The directory to create temporary directories in: {@code dir}, or {@code java.io.tmpdir} if empty. */
    public static Path base(String dir) throws IOException {
        Path base = Path.of(dir.isEmpty() ? System.getProperty("java.io.tmpdir") : dir);
        Files.createDirectories(base);
        return base;
    }

    /** Deletes {@code root} and everything below it; nothing if it does not exist. */
    public static void deleteRecursively(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }
}
