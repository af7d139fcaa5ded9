package io.raftkv.kv.server.store;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The log-entry encoding of a {@link KvCommand}, and of a {@link KvResult} (kept in the session table):
 *
 * <pre>
 *   byte    format version (1)
 *   byte    operation: 1 put, 2 delete, 3 compare-and-set
 *   long    leader timestamp (ms)
 *   short   client id length (0: no session), then its UTF-8 bytes and a long sequence
 *   int     key length, key bytes
 *   put:    int value length, value bytes
 *   cas:    byte expected present (0/1), [int length, bytes], int value length, value bytes
 * </pre>
 *
 * Decoding checks every length against what remains, so a damaged entry fails with a clear error instead of
 * allocating without bound.
 */
public final class KvCommandCodec {

    private static final byte VERSION = 1;

    private KvCommandCodec() {
    }

    /** Encodes a command for the log. */
    public static byte[] encode(KvCommand c) {
        byte[] client = c.session() == null ? new byte[0]
                : c.session().clientId().getBytes(StandardCharsets.UTF_8);
        KvOperation op = c.operation();
        int size = 2 + 8 + 2 + client.length + (client.length > 0 ? 8 : 0) + 4 + op.key().length;
        if (op instanceof KvOperation.Put p) {
            size += 4 + p.value().length;
        } else if (op instanceof KvOperation.CompareAndSet cas) {
            size += 1 + (cas.expected() == null ? 0 : 4 + cas.expected().length) + 4 + cas.value().length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(VERSION);
        b.put((byte) (op instanceof KvOperation.Put ? 1 : op instanceof KvOperation.Delete ? 2 : 3));
        b.putLong(c.timestampMillis());
        b.putShort((short) client.length).put(client);
        if (client.length > 0) {
            b.putLong(c.session().sequence());
        }
        b.putInt(op.key().length).put(op.key());
        if (op instanceof KvOperation.Put p) {
            b.putInt(p.value().length).put(p.value());
        } else if (op instanceof KvOperation.CompareAndSet cas) {
            b.put((byte) (cas.expected() == null ? 0 : 1));
            if (cas.expected() != null) {
                b.putInt(cas.expected().length).put(cas.expected());
            }
            b.putInt(cas.value().length).put(cas.value());
        }
        return b.array();
    }

    /**
     * Decodes a command.
     *
     * @throws IllegalArgumentException naming what is wrong if the bytes are not a valid command
     */
    public static KvCommand decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            byte version = b.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("command format version " + version + " is not supported");
            }
            byte kind = b.get();
            long timestamp = b.getLong();
            int clientLength = b.getShort();
            ClientSession session = null;
            if (clientLength < 0 || clientLength > 64) {
                throw new IllegalArgumentException("client id length " + clientLength + " is out of range");
            }
            if (clientLength > 0) {
                String client = new String(take(b, clientLength), StandardCharsets.UTF_8);
                session = new ClientSession(client, b.getLong());
            }
            byte[] key = take(b, b.getInt());
            KvOperation op = switch (kind) {
                case 1 -> new KvOperation.Put(key, take(b, b.getInt()));
                case 2 -> new KvOperation.Delete(key);
                case 3 -> {
                    byte[] expected = b.get() == 1 ? take(b, b.getInt()) : null;
                    yield new KvOperation.CompareAndSet(key, expected, take(b, b.getInt()));
                }
                default -> throw new IllegalArgumentException("unknown operation " + kind);
            };
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " unexpected bytes after the command");
            }
            return new KvCommand(session, timestamp, op);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("command is truncated (" + bytes.length + " bytes)", e);
        }
    }

    /** Encodes a result for the session table. */
    static byte[] encodeResult(KvResult r) {
        if (r instanceof KvResult.Rejected rej) {
            byte[] reason = rej.reason().getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(1 + reason.length).put((byte) 4).put(reason).array();
        }
        ByteBuffer b = ByteBuffer.allocate(10);
        if (r instanceof KvResult.Written w) {
            b.put((byte) 1).put((byte) 0).putLong(w.revision());
        } else if (r instanceof KvResult.Deleted d) {
            b.put((byte) 2).put((byte) (d.existed() ? 1 : 0)).putLong(d.revision());
        } else if (r instanceof KvResult.Swapped s) {
            b.put((byte) 3).put((byte) (s.succeeded() ? 1 : 0)).putLong(s.revision());
        }
        return b.array();
    }

    /** Decodes a result from the session table. */
    static KvResult decodeResult(ByteBuffer b) {
        byte kind = b.get();
        if (kind == 4) {
            byte[] reason = new byte[b.remaining()];
            b.get(reason);
            return new KvResult.Rejected(new String(reason, StandardCharsets.UTF_8));
        }
        boolean flag = b.get() == 1;
        long revision = b.getLong();
        return switch (kind) {
            case 1 -> new KvResult.Written(revision);
            case 2 -> new KvResult.Deleted(flag, revision);
            case 3 -> new KvResult.Swapped(flag, revision);
            default -> throw new IllegalArgumentException("unknown result kind " + kind);
        };
    }

    private static byte[] take(ByteBuffer b, int length) {
        if (length < 0 || length > b.remaining()) {
            throw new IllegalArgumentException("length " + length + " exceeds the " + b.remaining()
                    + " bytes left");
        }
        byte[] out = new byte[length];
        b.get(out);
        return out;
    }
}
