package io.raftkv.kv.client;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The blocking face of a {@link KvClient}: the same operations, each waiting for its result (never longer than
 * the request timeout) and throwing {@link KvClientException} on failure. Obtained from {@link KvClient#blocking()};
 * closing the {@link KvClient} closes it too.
 *
 * <p>Must not be called from a callback running on the client's I/O thread: the call would wait for that very
 * thread, so it is refused with an {@link IllegalStateException}.
 */
public final class BlockingKvClient {

    private final KvClient client;

    BlockingKvClient(KvClient client) {
        this.client = client;
    }

    /** The asynchronous client behind this one. */
    public KvClient async() {
        return client;
    }

    /** @see KvClient#put(byte[], byte[]) */
    public long put(byte[] key, byte[] value) {
        return await(client.doPut(key, value), true);
    }

    /** @see KvClient#put(String, String) */
    public long put(String key, String value) {
        return await(client.doPut(utf8(key), utf8(value)), true);
    }

    /** @see KvClient#delete(byte[]) */
    public DeleteResult delete(byte[] key) {
        return await(client.doDelete(key), true);
    }

    /** @see KvClient#delete(String) */
    public DeleteResult delete(String key) {
        return await(client.doDelete(utf8(key)), true);
    }

    /** @see KvClient#compareAndSet(byte[], byte[], byte[]) */
    public CasResult compareAndSet(byte[] key, byte[] expected, byte[] value) {
        return await(client.doCompareAndSet(key, expected, value), true);
    }

    /** @see KvClient#compareAndSet(String, String, String) */
    public CasResult compareAndSet(String key, String expected, String value) {
        return await(client.doCompareAndSet(utf8(key), expected == null ? null : utf8(expected), utf8(value)), true);
    }

    /** @see KvClient#get(byte[]) */
    public Optional<VersionedValue> get(byte[] key) {
        return await(client.doGet(key, Consistency.LINEARIZABLE), false);
    }

    /** @see KvClient#get(byte[], Consistency) */
    public Optional<VersionedValue> get(byte[] key, Consistency consistency) {
        return await(client.doGet(key, consistency), false);
    }

    /** @see KvClient#get(String) */
    public Optional<VersionedValue> get(String key) {
        return await(client.doGet(utf8(key), Consistency.LINEARIZABLE), false);
    }

    /** @see KvClient#get(String, Consistency) */
    public Optional<VersionedValue> get(String key, Consistency consistency) {
        return await(client.doGet(utf8(key), consistency), false);
    }

    /** @see KvClient#scan(byte[], byte[], int) */
    public ScanPage scan(byte[] start, byte[] end, int limit) {
        return await(client.doScan(start, end, limit, Consistency.LINEARIZABLE), false);
    }

    /** @see KvClient#scan(byte[], byte[], int, Consistency) */
    public ScanPage scan(byte[] start, byte[] end, int limit, Consistency consistency) {
        return await(client.doScan(start, end, limit, consistency), false);
    }

    /** @see KvClient#scanPrefix(byte[], int) */
    public ScanPage scanPrefix(byte[] prefix, int limit) {
        return scanPrefix(prefix, limit, Consistency.LINEARIZABLE);
    }

    /** @see KvClient#scanPrefix(byte[], int, Consistency) */
    public ScanPage scanPrefix(byte[] prefix, int limit, Consistency consistency) {
        Objects.requireNonNull(prefix, "prefix");
        return await(client.doScan(prefix, KvClient.prefixEnd(prefix), limit, consistency), false);
    }

    /** @see KvClient#scanPrefix(String, int) */
    public ScanPage scanPrefix(String prefix, int limit) {
        return scanPrefix(utf8(prefix), limit, Consistency.LINEARIZABLE);
    }

    /** @see KvClient#status(Endpoint) */
    public NodeStatus status(Endpoint endpoint) {
        return await(client.doStatus(endpoint), false);
    }

    /** @see KvClient#status(String) */
    public NodeStatus status(String endpoint) {
        return await(client.doStatus(Endpoint.parse(endpoint)), false);
    }

    /** @see KvClient#clusterStatus() */
    public ClusterStatus clusterStatus() {
        return await(client.doClusterStatus(), false);
    }

    private static byte[] utf8(String s) {
        return Objects.requireNonNull(s).getBytes(StandardCharsets.UTF_8);
    }

    // Waits on the client's own future, not the one routed through a callback executor: a blocking call made
    // from that executor's only thread would otherwise wait for itself.
    private <T> T await(CompletableFuture<T> f, boolean write) {
        if (client.onIoThread()) {
            throw new IllegalStateException("a blocking call on the client's I/O thread would wait for itself; "
                    + "use the asynchronous API in callbacks (or set a callback executor)");
        }
        try {
            // No timeout needed: every request completes by its deadline.
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvClientException(ErrorCode.INTERRUPTED, "interrupted while waiting; the request may still "
                    + "complete", write, null, e);
        } catch (ExecutionException e) {
            // A new exception, so that the stack trace shows this caller; the original is its cause.
            throw KvClient.unwrap(e).rethrown();
        }
    }
}
