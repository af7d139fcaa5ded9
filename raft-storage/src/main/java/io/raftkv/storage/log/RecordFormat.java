package io.raftkv.storage.log;

import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * How one log entry is framed in a segment file:
 *
 * <pre>
 *   int   length   bytes after the checksum field: 17 + data length
 *   int   crc32c   over those bytes
 *   long  index
 *   long  term
 *   byte  type     0 command, 1 no-op, 2 configuration (added with membership changes; older versions refuse it)
 *   byte[] data
 * </pre>
 *
 * The index and term in every record let recovery rebuild the in-memory index and verify that records are
 * consecutive; the checksum catches torn and corrupted records. Big-endian throughout.
 */
final class RecordFormat {

    /** Length and checksum fields. */
    static final int FRAME_BYTES = 8;
    /** Index, term and type. */
    static final int FIXED_BODY_BYTES = 17;
    /** Largest entry payload accepted; bigger lengths in a file are damage, not data. */
    static final int MAX_DATA_BYTES = 64 << 20;

    private RecordFormat() {
    }

    /** Bytes the record of {@code e} occupies. */
    static int recordBytes(Entry e) {
        return FRAME_BYTES + FIXED_BODY_BYTES + e.data().length;
    }

    /** Writes the record of {@code e} at the buffer's position. */
    static void write(ByteBuffer buf, Entry e, CRC32C crc) {
        int start = buf.position();
        int bodyLength = FIXED_BODY_BYTES + e.data().length;
        buf.putInt(bodyLength);
        buf.putInt(0); // checksum, filled in below
        int bodyStart = buf.position();
        buf.putLong(e.index());
        buf.putLong(e.term());
        buf.put(typeCode(e.type()));
        buf.put(e.data());
        crc.reset();
        ByteBuffer body = buf.duplicate();
        body.position(bodyStart).limit(buf.position());
        crc.update(body);
        buf.putInt(start + 4, (int) crc.getValue());
    }

    /**
     * Checks the record starting at the buffer's position, which must hold at least its frame. Returns the
     * record's total length if it is complete and intact, or -1.
     */
    static int validate(ByteBuffer buf, CRC32C crc) {
        int pos = buf.position();
        if (buf.remaining() < FRAME_BYTES) {
            return -1;
        }
        int bodyLength = buf.getInt(pos);
        if (bodyLength < FIXED_BODY_BYTES || bodyLength > FIXED_BODY_BYTES + MAX_DATA_BYTES
                || buf.remaining() < FRAME_BYTES + bodyLength) {
            return -1;
        }
        int stored = buf.getInt(pos + 4);
        int type = buf.get(pos + FRAME_BYTES + 16);
        if (type < 0 || type > 2) {
            return -1;
        }
        crc.reset();
        ByteBuffer body = buf.duplicate();
        body.position(pos + FRAME_BYTES).limit(pos + FRAME_BYTES + bodyLength);
        crc.update(body);
        return (int) crc.getValue() == stored ? FRAME_BYTES + bodyLength : -1;
    }

    /** Index of a validated record at {@code pos}. */
    static long index(ByteBuffer buf, int pos) {
        return buf.getLong(pos + FRAME_BYTES);
    }

    /** Term of a validated record at {@code pos}. */
    static long term(ByteBuffer buf, int pos) {
        return buf.getLong(pos + FRAME_BYTES + 8);
    }

    /** Type of a validated record at {@code pos}. */
    static EntryType type(ByteBuffer buf, int pos) {
        return switch (buf.get(pos + FRAME_BYTES + 16)) {
            case 1 -> EntryType.NOOP;
            case 2 -> EntryType.CONFIGURATION;
            default -> EntryType.COMMAND;
        };
    }

    private static byte typeCode(EntryType type) {
        return switch (type) {
            case COMMAND -> 0;
            case NOOP -> 1;
            case CONFIGURATION -> 2;
        };
    }

    /** Decodes a validated record at {@code pos}. */
    static Entry decode(ByteBuffer buf, int pos) {
        int bodyLength = buf.getInt(pos);
        long index = buf.getLong(pos + FRAME_BYTES);
        long term = buf.getLong(pos + FRAME_BYTES + 8);
        EntryType type = type(buf, pos);
        byte[] data = new byte[bodyLength - FIXED_BODY_BYTES];
        buf.get(pos + FRAME_BYTES + FIXED_BODY_BYTES, data);
        return new Entry(index, term, type, data);
    }
}
