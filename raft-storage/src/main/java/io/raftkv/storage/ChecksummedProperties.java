package io.raftkv.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A small human-readable {@code key=value} file whose last line is a CRC32C of the lines before it, written
 * atomically (temporary file, sync, rename, sync the directory). For metadata that people may want to read
 * but that must never be half-written or silently edited.
 */
public final class ChecksummedProperties {

    private static final String CHECKSUM_KEY = "checksum";

    private ChecksummedProperties() {
    }

    /** Writes {@code values} to {@code file} atomically and durably. */
    public static void write(Path file, Map<String, String> values) throws IOException {
        StringBuilder body = new StringBuilder();
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (e.getKey().contains("=") || e.getKey().contains("\n") || e.getValue().contains("\n")) {
                throw new IllegalArgumentException("cannot store " + e.getKey() + "=" + e.getValue());
            }
            body.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        String text = body + CHECKSUM_KEY + "=" + crc(body.toString()) + "\n";
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            var buf = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FileSync.directory(file.getParent());
    }

    /**
     * Reads a file written by {@link #write}.
     *
     * @throws StorageCorruptionException if the checksum line is missing or does not match
     */
    public static Map<String, String> read(Path file, String whatToDo) throws IOException {
        if (Files.size(file) > 1 << 20) {
            throw new StorageCorruptionException(file, -1, "file is larger than any metadata file", whatToDo);
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int at = text.lastIndexOf(CHECKSUM_KEY + "=");
        if (at < 0 || (at > 0 && text.charAt(at - 1) != '\n')) {
            throw new StorageCorruptionException(file, -1, "the checksum line is missing", whatToDo);
        }
        String body = text.substring(0, at);
        String stored = text.substring(at + CHECKSUM_KEY.length() + 1).trim();
        if (!stored.equals(crc(body))) {
            throw new StorageCorruptionException(file, at, "contents do not match their checksum", whatToDo);
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : body.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new StorageCorruptionException(file, -1, "malformed line '" + line + "'", whatToDo);
            }
            values.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return values;
    }

    private static String crc(String s) {
        CRC32C c = new CRC32C();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", c.getValue());
    }
}
