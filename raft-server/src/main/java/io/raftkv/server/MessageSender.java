package io.raftkv.server;

import io.raftkv.core.message.RaftMessage;

/**
 * Where the runtime sends peer messages (a network transport, or an in-memory network in tests). Must not
 * block and must not throw for network trouble: Raft tolerates lost messages.
 */
@FunctionalInterface
public interface MessageSender {
    void send(RaftMessage message);
}
