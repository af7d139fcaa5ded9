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
        assertThat(bytes).hasSize(5 + 3 + 3 + 11 + 10 + 4 * 2); // header, ids, and an empty address each
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
        assertThatThrownBy(() -> Configuration.decode(truncated)).hasMessageContaining("ends before the address of b");
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
    void addressesTravelWithTheMembersAndVersionOneEntriesStillDecode() {
        Configuration c = config(Set.of("n1", "n2"), Set.of("n3")).withAddress(NodeId.of("n1"), "10.0.0.1:7001")
                .withAddress(NodeId.of("n3"), "[::1]:7003");
        Configuration back = Configuration.decode(c.encode());
        assertThat(back).isEqualTo(c);
        assertThat(back.addressOf(NodeId.of("n1"))).isEqualTo("10.0.0.1:7001");
        assertThat(back.addressOf(NodeId.of("n2"))).isNull();
        assertThat(back.addressOf(NodeId.of("n3"))).isEqualTo("[::1]:7003");
        // An entry written before addresses existed (version 1: header and ids only) still reads.
        byte[] v1 = {1, 0, 2, 0, 0, 1, 'a', 1, 'b'};
        assertThat(Configuration.decode(v1)).isEqualTo(Configuration.ofVoters("a", "b"));
        // Membership changes carry the address; removing a member drops it, promoting keeps it.
        Configuration added = ((io.raftkv.core.membership.MembershipChange.Changed)
                new io.raftkv.core.membership.MembershipChange.AddLearner(NodeId.of("n4"), "h:4").applyTo(c))
                .configuration();
        assertThat(added.addressOf(NodeId.of("n4"))).isEqualTo("h:4");
        Configuration promoted = ((io.raftkv.core.membership.MembershipChange.Changed)
                new io.raftkv.core.membership.MembershipChange.PromoteLearner(NodeId.of("n4")).applyTo(added))
                .configuration();
        assertThat(promoted.isVoter(NodeId.of("n4"))).isTrue();
        assertThat(promoted.addressOf(NodeId.of("n4"))).isEqualTo("h:4");
        Configuration removed = ((io.raftkv.core.membership.MembershipChange.Changed)
                new io.raftkv.core.membership.MembershipChange.RemoveMember(NodeId.of("n1")).applyTo(promoted))
                .configuration();
        assertThat(removed.addresses()).doesNotContainKey(NodeId.of("n1"));
    }

    @Test
    void badAddressesAreRefusedWithTheReason() {
        Configuration c = Configuration.ofVoters("a", "b");
        assertThatThrownBy(() -> c.withAddress(NodeId.of("z"), "h:1")).hasMessageContaining("not a member");
        assertThatThrownBy(() -> c.withAddress(NodeId.of("a"), "")).hasMessageContaining("1 to 255");
        assertThatThrownBy(() -> c.withAddress(NodeId.of("a"), "x".repeat(256))).hasMessageContaining("1 to 255");
        assertThatThrownBy(() -> c.withAddress(NodeId.of("a"), "h 1")).hasMessageContaining("printable ASCII");
        byte[] bytes = c.withAddress(NodeId.of("a"), "h:1").encode();
        byte[] longer = bytes.clone();
        longer[10] = 9; // the address length (bytes 9-10 after "a" and "b") now runs past the end
        assertThatThrownBy(() -> Configuration.decode(longer)).hasMessageContaining("address of 9 bytes");
    }

    @Test
    void randomBytesNeverDecodeToAnythingButAValidConfigurationOrAClearRefusal() {
        long seed = Long.getLong("raftkv.core.seed", 20240601L);
        System.out.println("ConfigurationTest seed " + seed + " (replay with -Draftkv.core.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        byte[] base = config(Set.of("a", "bb", "ccc"), Set.of("dd")).withAddress(NodeId.of("bb"), "h:1").encode();
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
