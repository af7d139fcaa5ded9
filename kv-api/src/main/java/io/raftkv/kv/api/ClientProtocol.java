package io.raftkv.kv.api;

/** Constants of the client protocol shared by server and client (see {@code kv.proto}). */
public final class ClientProtocol {

    /** The protocol version this code speaks. */
    public static final int VERSION = 1;

    /** Bytes of the big-endian length prefix of every frame. */
    public static final int LENGTH_PREFIX_BYTES = 4;

    /** Largest frame a server accepts by default: a 1 MiB value plus a 4 KiB key plus headroom. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 2 << 20;

    private ClientProtocol() {
    }
}
