package io.raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The configuration entry's encoding, and the majority-overlap arithmetic membership changes rely on. */
class ConfigurationTest {

    private static Configuration config(Set<String> voters, Set<String> learners) {
        return new Configuration(new TreeSet<>(voters.stream().map(NodeId::of).toList()),
                new TreeSet<>(learners.stream().map(NodeId::of).toList()));
    }

    @Test
    void theEncodingRoundTripsAndIsCompact() {
        Configuration c = config(Set.of("n1", "n2", "node-three"), Set.of("learner.1"));
        byte[] bytes = c.encode();
        assertThat(bytes).hasSize(5 + 3 + 3 + 11 + 10);
        assertThat(Configuration.decode(bytes)).isEqualTo(c);
        Entry e = Entry.configuration(7, 2, c);
        assertThat(e.configuration()).isEqualTo(c);
        assertThat(e.type()).isEqualTo(EntryType.CONFIGURATION);
        assertThat(Configuration.decode(new Configuration(Set.of(), Set.of()).encode())).isEqualTo(new Configuration(Set.of(), Set.of()));
    }

    @Test
    void malformedEncodingsAreRejectedWithTheReason() {
        byte[] good = Configuration.ofVoters("a", "b").encode();
        assertThatThrownBy(() -> Configuration.decode(new byte[] {1, 0})).hasMessageContaining("shorter than");
        byte[] version = good.clone();
        version[0] = 9;
        assertThatThrownBy(() -> Configuration.decode(version)).hasMessageContaining("encoding version 9");
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> Configuration.decode(trailing)).hasMessageContaining("after its last member");
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
        assertThatThrownBy(() -> Configuration.decode(truncated)).hasMessageContaining("member id of length");
        byte[] badChar = good.clone();
        badChar[6] = '/';
        assertThatThrownBy(() -> Configuration.decode(badChar)).hasMessageContaining("character '/'");
        byte[] twice = good.clone();
        twice[8] = 'a';
        assertThatThrownBy(() -> Configuration.decode(twice)).hasMessageContaining("twice");
        byte[] both = config(Set.of("a"), Set.of("b")).encode();
        both[8] = 'a';
        assertThatThrownBy(() -> Configuration.decode(both)).hasMessageContaining("both voter and learner");
        byte[] huge = good.clone();
        huge[1] = (byte) 0xFF;
        assertThatThrownBy(() -> Configuration.decode(huge)).hasMessageContaining("more than");
        assertThatThrownBy(() -> new Entry(1, 1, EntryType.CONFIGURATION, new byte[] {1}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomBytesNeverDecodeToAnythingButAValidConfigurationOrAClearRefusal() {
        long seed = Long.getLong("raftkv.core.seed", 20240601L);
        System.out.println("ConfigurationTest seed " + seed + " (replay with -Draftkv.core.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        byte[] base = config(Set.of("a", "bb", "ccc"), Set.of("dd")).encode();
        for (int i = 0; i < 20_000; i++) {
            byte[] b = base.clone();
            b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            if (r.nextBoolean()) {
                b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 3));
            }
            try {
                Configuration c = Configuration.decode(b);
                assertThat(c.encode()).as("seed " + seed + " case " + i).isEqualTo(b);
            } catch (IllegalArgumentException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @Test
    void singleServerChangesAlwaysOverlapButTwoServerChangesMayNot() {
        Configuration abc = Configuration.ofVoters("a", "b", "c");
        assertThat(abc.majoritiesCanBeDisjoint(Configuration.ofVoters("a", "b", "c", "d"))).isFalse();
        assertThat(abc.majoritiesCanBeDisjoint(Configuration.ofVoters("a", "b"))).isFalse();
        assertThat(abc.majoritiesCanBeDisjoint(abc)).isFalse();
        // {a,b,c} -> {a,b,c,d,e}: {a,b} and {c,d,e} are majorities of each.
        assertThat(abc.majoritiesCanBeDisjoint(Configuration.ofVoters("a", "b", "c", "d", "e"))).isTrue();
        // The single-server change bug: {a,b,c,d} -> {a,b,c} on one side, -> {a,b,d} on the other.
        assertThat(Configuration.ofVoters("a", "b", "c").majoritiesCanBeDisjoint(Configuration.ofVoters("a", "b", "d")))
                .isTrue();
        assertThat(abc.majoritiesCanBeDisjoint(new Configuration(Set.of(), Set.of()))).isFalse();
    }
}
