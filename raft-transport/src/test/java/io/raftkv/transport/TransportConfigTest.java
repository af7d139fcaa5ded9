package io.raftkv.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftkv.core.NodeId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransportConfigTest {

    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void defaultsMatchTheDocumentedValues() {
        TransportConfig c = TransportConfig.of(NodeId.of("a"), "c1", ANY, Map.of(NodeId.of("b"), ANY));
        assertThat(c.maxFrameBytes()).isEqualTo(16 * 1024 * 1024);
        assertThat(c.maxQueuedBytesPerPeer()).isEqualTo(64L * 1024 * 1024);
        assertThat(c.reconnectMin()).isEqualTo(Duration.ofMillis(50));
        assertThat(c.reconnectMax()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.peers()).containsOnlyKeys(NodeId.of("b"));
    }

    @Test
    void rejectsInconsistentLimits() {
        TransportConfig c = TransportConfig.of(NodeId.of("a"), "c1", ANY, Map.of());
        assertThatThrownBy(() -> c.withLimits(1024 * 1024, 1024 * 1024))
                .hasMessageContaining("at least twice maxFrameBytes");
        assertThatThrownBy(() -> c.withLimits(100, 1024 * 1024)).hasMessageContaining("maxFrameBytes must be between");
        assertThatThrownBy(() -> c.withLimits(Integer.MAX_VALUE, Long.MAX_VALUE))
                .hasMessageContaining("maxFrameBytes must be between");
        assertThatThrownBy(() -> c.withReconnect(Duration.ofSeconds(1), Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.withHandshakeTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.withIoThreads(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsBadClusterIds() {
        assertThatThrownBy(() -> TransportConfig.of(NodeId.of("a"), "", ANY, Map.of()))
                .hasMessageContaining("1 to 128");
        assertThatThrownBy(() -> TransportConfig.of(NodeId.of("a"), "has space", ANY, Map.of()))
                .hasMessageContaining("character ' '");
    }
}
