package io.raftkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class KeySpaceTest {

    @Test
    void keysHoldTheirNumberBigEndianInTheLastBytes() {
        KeySpace k = new KeySpace(KeySpace.Order.SEQUENTIAL, 1 << 20, 8);
        assertThat(k.key(0x010203)).containsExactly(0, 0, 0, 0, 0, 1, 2, 3);
        assertThat(new KeySpace(KeySpace.Order.SEQUENTIAL, 10, 16).key(9))
                .containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9);
        assertThat(new KeySpace(KeySpace.Order.SEQUENTIAL, 256, 1).key(255)).containsExactly((byte) 0xFF);
    }

    @Test
    void distinctNumbersGiveDistinctKeysInTheSameOrder() {
        KeySpace k = new KeySpace(KeySpace.Order.UNIFORM, 1_000, 2);
        Set<String> seen = new HashSet<>();
        byte[] previous = null;
        for (long i = 0; i < 1_000; i++) {
            byte[] key = k.key(i);
            assertThat(seen.add(Arrays.toString(key))).isTrue();
            if (previous != null) {
                assertThat(Arrays.compareUnsigned(previous, key)).isNegative();
            }
            previous = key;
        }
    }

    @Test
    void aKeySpaceThatDoesNotFitItsKeySizeIsRefusedWithTheOptionsNamed() {
        assertThatThrownBy(() -> new KeySpace(KeySpace.Order.SEQUENTIAL, 70_000, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000 distinct keys do not fit in 2-byte keys")
                .hasMessageContaining("--key-size").hasMessageContaining("--key-space");
        assertThatThrownBy(() -> new KeySpace(KeySpace.Order.SEQUENTIAL, 0, 8)).hasMessageContaining("--key-space");
        assertThatThrownBy(() -> new KeySpace(KeySpace.Order.SEQUENTIAL, 1, 0)).hasMessageContaining("--key-size");
        assertThatThrownBy(() -> new KeySpace(KeySpace.Order.SEQUENTIAL, 10, 8).key(10))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void sequentialPickingIsSharedByAllClientsAndWraps() {
        KeySpace k = new KeySpace(KeySpace.Order.SEQUENTIAL, 3, 8);
        KeyPicker shared = KeyPicker.shared(k);
        KeyPicker a = KeyPicker.forClient(k, shared, 1, 0);
        KeyPicker b = KeyPicker.forClient(k, shared, 1, 1);
        assertThat(new long[] {a.next(), b.next(), a.next(), b.next(), a.next()}).containsExactly(0, 1, 2, 0, 1);
    }

    @Test
    void uniformPickingStaysInTheKeySpaceCoversItAndRepeatsForTheSameSeed() {
        KeySpace k = new KeySpace(KeySpace.Order.UNIFORM, 10, 8);
        KeyPicker shared = KeyPicker.shared(k);
        KeyPicker one = KeyPicker.forClient(k, shared, 7, 3);
        KeyPicker again = KeyPicker.forClient(k, shared, 7, 3);
        KeyPicker otherClient = KeyPicker.forClient(k, shared, 7, 4);
        long[] first = LongStream.generate(one::next).limit(1_000).toArray();
        assertThat(LongStream.of(first).allMatch(i -> i >= 0 && i < 10)).isTrue();
        assertThat(LongStream.of(first).distinct().count()).isEqualTo(10);
        assertThat(LongStream.generate(again::next).limit(1_000).toArray()).containsExactly(first);
        assertThat(LongStream.generate(otherClient::next).limit(1_000).toArray()).isNotEqualTo(first);
    }
}
