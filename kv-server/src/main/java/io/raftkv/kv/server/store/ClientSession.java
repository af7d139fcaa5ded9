package io.raftkv.kv.server.store;

/**
 * Tags a write for exactly-once application: a client numbers its writes within a session; a retried write
 * carries the same number and gets the remembered result instead of being applied again.
 *
 * @param clientId the session, chosen by the client (1 to 64 characters)
 * @param sequence the write's number in the session, from 1, increasing by one per new write
 */
public record ClientSession(String clientId, long sequence) {
    public ClientSession {
        if (clientId == null || clientId.isEmpty() || clientId.length() > 64) {
            throw new IllegalArgumentException("client id must be 1 to 64 characters");
        }
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be >= 1, got " + sequence);
        }
    }
}
