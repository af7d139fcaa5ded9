package io.raftkv.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Every file and directory under a root, with each file's size and SHA-256: taken before and after an open that
 * must refuse, to prove that the refusal changed nothing (no file cut, deleted, created or rewritten).
 *
 * @param entries relative path to {@code "dir"} or {@code "<size> <sha256>"}
 */
public record DirectoryContents(Map<String, String> entries) {

    public static DirectoryContents of(Path root) {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    entries.put(rel, "dir");
                } else {
                    byte[] bytes = Files.readAllBytes(p);
                    entries.put(rel, bytes.length + " " + HexFormat.of().formatHex(
                            MessageDigest.getInstance("SHA-256").digest(bytes)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new DirectoryContents(entries);
    }
}
