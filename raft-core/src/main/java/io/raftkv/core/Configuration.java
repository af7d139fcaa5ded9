package io.raftkv.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Cluster membership: the voters, whose majority decides elections and commitment, and the learners, who
 * receive the log but do not count. Each member may also carry an address: opaque to the core, it is where
 * the runtime reaches that member (a {@code host:port} for the TCP transport), so that a member added while
 * the cluster runs becomes reachable on every node as soon as the configuration naming it is in force there.
 *
 * @param voters    the voting members (never empty for a running cluster)
 * @param learners  the non-voting members, disjoint from {@code voters}
 * @param addresses where each member is reached, for the members whose address is known (keys are members;
 *                  values are 1 to {@value #MAX_ADDRESS_LENGTH} printable ASCII characters)
 */
public record Configuration(Set<NodeId> voters, Set<NodeId> learners, Map<NodeId, String> addresses) {

    /** Longest member address a configuration may carry. */
    public static final int MAX_ADDRESS_LENGTH = 255;

    public Configuration {
        voters = Collections.unmodifiableSet(new TreeSet<>(Objects.requireNonNull(voters, "voters")));
        learners = Collections.unmodifiableSet(new TreeSet<>(Objects.requireNonNull(learners, "learners")));
        for (NodeId l : learners) {
            if (voters.contains(l)) {
                throw new IllegalArgumentException("node " + l + " cannot be both voter and learner");
            }
        }
        TreeMap<NodeId, String> a = new TreeMap<>(Objects.requireNonNull(addresses, "addresses"));
        for (Map.Entry<NodeId, String> e : a.entrySet()) {
            if (!voters.contains(e.getKey()) && !learners.contains(e.getKey())) {
                throw new IllegalArgumentException("address given for " + e.getKey() + ", which is not a member");
            }
            checkAddress(e.getKey(), e.getValue());
        }
        addresses = Collections.unmodifiableMap(a);
    }

    /** Members without addresses. */
    public Configuration(Set<NodeId> voters, Set<NodeId> learners) {
        this(voters, learners, Map.of());
    }

    /**
     * Checks that {@code address} can be carried for {@code member}: 1 to {@value #MAX_ADDRESS_LENGTH}
     * printable ASCII characters, no spaces.
     *
     * @throws IllegalArgumentException naming the member and what is wrong
     */
    public static void checkAddress(NodeId member, String address) {
        Objects.requireNonNull(address, "address");
        if (address.isEmpty() || address.length() > MAX_ADDRESS_LENGTH) {
            throw new IllegalArgumentException("address of " + member + " must be 1 to " + MAX_ADDRESS_LENGTH
                    + " characters, got " + address.length());
        }
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("address of " + member + " has a character that is not "
                        + "printable ASCII at position " + i + ": '" + address + "'");
            }
        }
    }

    /** Where {@code member} is reached, or null if this configuration does not say. */
    public String addressOf(NodeId member) {
        return addresses.get(member);
    }

    /** This configuration with {@code address} recorded for {@code member} (a member). */
    public Configuration withAddress(NodeId member, String address) {
        Map<NodeId, String> a = new TreeMap<>(addresses);
        a.put(member, address);
        return new Configuration(voters, learners, a);
    }

    /** A configuration of voters only. */
    public static Configuration ofVoters(NodeId... voters) {
        return new Configuration(Set.of(voters), Set.of());
    }

    /** A configuration of voters only, given as strings. */
    public static Configuration ofVoters(String... voters) {
        Set<NodeId> ids = new TreeSet<>();
        for (String v : voters) {
            ids.add(NodeId.of(v));
        }
        return new Configuration(ids, Set.of());
    }

    /** True if {@code id} is a voter or a learner. */
    public boolean contains(NodeId id) {
        return voters.contains(id) || learners.contains(id);
    }

    /** True if {@code id} votes. */
    public boolean isVoter(NodeId id) {
        return voters.contains(id);
    }

    /** Every member, voters first, each group in id order. */
    public List<NodeId> members() {
        List<NodeId> all = new ArrayList<>(voters);
        all.addAll(learners);
        return all;
    }

    /** How many voters make a majority. */
    public int quorum() {
        return voters.size() / 2 + 1;
    }

    /**
     * True if some majority of this configuration's voters and some majority of {@code other}'s can be
     * disjoint: two such configurations in force at once could elect two leaders in one term or commit two
     * different entries at one index. A configuration without voters has no majority and overlaps nothing.
     * A single-server change never yields such a pair (Raft dissertation, section 4.1).
     */
    public boolean majoritiesCanBeDisjoint(Configuration other) {
        if (voters.isEmpty() || other.voters.isEmpty()) {
            return false;
        }
        int shared = 0;
        for (NodeId v : voters) {
            if (other.voters.contains(v)) {
                shared++;
            }
        }
        // Build both majorities from unshared voters first; the shared ones are needed only for the rest.
        int neededFromShared = Math.max(0, quorum() - (voters.size() - shared))
                + Math.max(0, other.quorum() - (other.voters.size() - shared));
        return neededFromShared <= shared;
    }

    // ------------------------------------------------------------------------------------------------ encoding

    /** Version byte of the encoding in configuration entries: 2 adds the addresses; version 1 is still read. */
    private static final int ENCODING_VERSION = 2;
    /** Most members a configuration entry may name (a bound for decoding untrusted bytes, not a design limit). */
    public static final int MAX_MEMBERS = 1024;

    /**
     * The compact encoding carried by a configuration entry: a version byte (1), the number of voters and of
     * learners (two unsigned 16-bit big-endian counts), then each id as one length byte and its ASCII
     * characters, voters first, each group in id order; then, for each member in the same order, its address
     * as an unsigned 16-bit big-endian length (0: none) and its ASCII characters. Decoded by
     * {@link #decode(byte[])}, which also reads version 1 (the same without addresses).
     */
    public byte[] encode() {
        int size = 5;
        for (NodeId id : members()) {
            size += 1 + id.value().length() + 2;
            String a = addresses.get(id);
            size += a == null ? 0 : a.length();
        }
        byte[] out = new byte[size];
        out[0] = ENCODING_VERSION;
        out[1] = (byte) (voters.size() >>> 8);
        out[2] = (byte) voters.size();
        out[3] = (byte) (learners.size() >>> 8);
        out[4] = (byte) learners.size();
        int pos = 5;
        for (NodeId id : members()) {
            String v = id.value();
            out[pos++] = (byte) v.length();
            for (int i = 0; i < v.length(); i++) {
                out[pos++] = (byte) v.charAt(i); // NodeId admits ASCII only
            }
        }
        for (NodeId id : members()) {
            String a = addresses.getOrDefault(id, "");
            out[pos++] = (byte) (a.length() >>> 8);
            out[pos++] = (byte) a.length();
            for (int i = 0; i < a.length(); i++) {
                out[pos++] = (byte) a.charAt(i); // checkAddress admits printable ASCII only
            }
        }
        return out;
    }

    /**
     * Decodes {@link #encode()}'s output, validating everything: version, counts, id lengths and characters,
     * ids in ascending order in each group (so no duplicate, and one encoding per configuration), no member
     * both voter and learner, no trailing bytes.
     *
     * @throws IllegalArgumentException naming what is wrong, if {@code data} is not a valid encoding
     */
    public static Configuration decode(byte[] data) {
        Objects.requireNonNull(data, "data");
        if (data.length < 5) {
            throw new IllegalArgumentException("configuration entry of " + data.length
                    + " bytes is shorter than its 5-byte header");
        }
        if (data[0] != 1 && data[0] != ENCODING_VERSION) {
            throw new IllegalArgumentException("configuration entry has encoding version " + data[0]
                    + "; this version reads versions 1 to " + ENCODING_VERSION);
        }
        int voterCount = ((data[1] & 0xFF) << 8) | (data[2] & 0xFF);
        int learnerCount = ((data[3] & 0xFF) << 8) | (data[4] & 0xFF);
        if (voterCount + learnerCount > MAX_MEMBERS) {
            throw new IllegalArgumentException("configuration entry names " + (voterCount + learnerCount)
                    + " members, more than " + MAX_MEMBERS);
        }
        int[] pos = {5};
        Set<NodeId> v = readIds(data, pos, voterCount);
        Set<NodeId> l = readIds(data, pos, learnerCount);
        Map<NodeId, String> addresses = new TreeMap<>();
        if (data[0] >= 2) {
            List<NodeId> members = new ArrayList<>(v);
            members.addAll(l);
            for (NodeId id : members) {
                if (pos[0] + 2 > data.length) {
                    throw new IllegalArgumentException("configuration entry ends before the address of " + id);
                }
                int len = ((data[pos[0]] & 0xFF) << 8) | (data[pos[0] + 1] & 0xFF);
                pos[0] += 2;
                if (len > MAX_ADDRESS_LENGTH || pos[0] + len > data.length) {
                    throw new IllegalArgumentException("configuration entry has an address of " + len
                            + " bytes for " + id + " (at most " + MAX_ADDRESS_LENGTH + ", within the entry)");
                }
                if (len > 0) {
                    char[] chars = new char[len];
                    for (int i = 0; i < len; i++) {
                        chars[i] = (char) (data[pos[0]++] & 0xFF); // checked as printable ASCII by the constructor
                    }
                    addresses.put(id, new String(chars));
                }
            }
        }
        if (pos[0] != data.length) {
            throw new IllegalArgumentException("configuration entry has " + (data.length - pos[0])
                    + " bytes after its last member");
        }
        return new Configuration(v, l, addresses);
    }

    private static Set<NodeId> readIds(byte[] data, int[] pos, int count) {
        TreeSet<NodeId> ids = new TreeSet<>();
        for (int k = 0; k < count; k++) {
            if (pos[0] >= data.length) {
                throw new IllegalArgumentException("configuration entry ends before member " + (ids.size() + 1)
                        + " of " + count);
            }
            int len = data[pos[0]++] & 0xFF;
            if (len == 0 || len > NodeId.MAX_LENGTH || pos[0] + len > data.length) {
                throw new IllegalArgumentException("configuration entry has a member id of length " + len
                        + " at offset " + (pos[0] - 1) + " (1 to " + NodeId.MAX_LENGTH + ", within the entry)");
            }
            char[] chars = new char[len];
            for (int i = 0; i < len; i++) {
                chars[i] = (char) (data[pos[0]++] & 0xFF);
            }
            NodeId id = new NodeId(new String(chars));
            if (!ids.isEmpty() && ids.last().compareTo(id) >= 0) {
                // One encoding per configuration: ids strictly ascending, which also rules out duplicates.
                throw new IllegalArgumentException("configuration entry names member '" + id + "' after '"
                        + ids.last() + "' (twice, or out of order)");
            }
            ids.add(id);
        }
        return ids;
    }
}
