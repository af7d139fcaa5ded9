package io.raftkv.transport;

import io.raftkv.core.Entry;
import io.raftkv.core.NodeId;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.HeartbeatRequest;
import io.raftkv.core.message.HeartbeatResponse;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Valid messages of every type: fixed ones, and random ones for round-trip properties. */
final class SampleMessages {

    private SampleMessages() {
    }

    /** One of each type (two for the types with notable variants), all from {@code from} to {@code to}. */
    static List<RaftMessage> oneOfEach(NodeId from, NodeId to) {
        return List.of(
                new VoteRequest(from, to, 7, 120, 6, false, false),
                new VoteRequest(from, to, 8, 120, 6, true, true),
                new VoteResponse(from, to, 7, false, true),
                new AppendEntriesRequest(from, to, 7, 100, 6,
                        List.of(Entry.noop(101, 7),
                                Entry.command(102, 7, "set x=1".getBytes(StandardCharsets.UTF_8)),
                                Entry.command(103, 7, new byte[0]),
                                Entry.configuration(104, 7, new io.raftkv.core.Configuration(
                                        java.util.Set.of(from, to), java.util.Set.of(NodeId.of("learner-1"))))),
                        99),
                new AppendEntriesRequest(from, to, 7, 103, 7, List.of(), 103),
                AppendEntriesResponse.accepted(from, to, 7, 103),
                AppendEntriesResponse.rejected(from, to, 7, 100, 95, 5),
                new HeartbeatRequest(from, to, 7, 99, 12),
                new HeartbeatResponse(from, to, 7, 12),
                new TimeoutNow(from, to, 7),
                new ReadIndexRequest(from, to, 7, -4242L),
                new ReadIndexResponse(from, to, 7, -4242L, 103, true),
                new ReadIndexResponse(from, to, 7, Long.MAX_VALUE, 0, false),
                new io.raftkv.core.message.ProposalForward(from, to, 7, 5L,
                        List.of("a".getBytes(StandardCharsets.UTF_8), new byte[0])),
                new io.raftkv.core.message.ProposalForwardResponse(from, to, 7, 5L, 0, 104, 105, 7),
                new io.raftkv.core.message.ProposalForwardResponse(from, to, 7, 6L,
                        io.raftkv.core.message.ProposalForwardResponse.OVERLOADED, 0, 0, 0));
    }

    /** A random valid message of a random type. */
    static RaftMessage random(Random r, NodeId from, NodeId to) {
        long term = 1 + (r.nextBoolean() ? r.nextInt(10) : r.nextLong() & (Long.MAX_VALUE >> 1));
        long index = r.nextBoolean() ? r.nextInt(1000) : r.nextLong() & (Long.MAX_VALUE >> 1);
        switch (r.nextInt(11)) {
            case 9: {
                List<byte[]> commands = new ArrayList<>();
                for (int i = 1 + r.nextInt(3); i > 0; i--) {
                    byte[] c = new byte[r.nextInt(100)];
                    r.nextBytes(c);
                    commands.add(c);
                }
                return new io.raftkv.core.message.ProposalForward(from, to, term, r.nextLong(), commands);
            }
            case 10: {
                long first = 1 + r.nextInt(1000);
                return new io.raftkv.core.message.ProposalForwardResponse(from, to, term, r.nextLong(), 0, first,
                        first + r.nextInt(5), Math.max(1, term / 2));
            }
            case 0:
                return new VoteRequest(from, to, term, index, r.nextInt((int) Math.min(term, 1000) + 1),
                        r.nextBoolean(), r.nextBoolean());
            case 1:
                return new VoteResponse(from, to, term, r.nextBoolean(), r.nextBoolean());
            case 2: {
                long prevTerm = Math.min(term, r.nextInt(5));
                int count = r.nextInt(6);
                List<Entry> entries = new ArrayList<>();
                long entryTerm = Math.max(1, prevTerm);
                for (int i = 0; i < count; i++) {
                    if (r.nextInt(4) == 0 && entryTerm < term) {
                        entryTerm++;
                    }
                    long entryIndex = index + 1 + i;
                    if (r.nextInt(5) == 0) {
                        entries.add(Entry.noop(entryIndex, entryTerm));
                    } else {
                        byte[] data = new byte[r.nextInt(300)];
                        r.nextBytes(data);
                        entries.add(Entry.command(entryIndex, entryTerm, data));
                    }
                }
                return new AppendEntriesRequest(from, to, term, index, prevTerm, entries, r.nextInt(2000));
            }
            case 3:
                return r.nextBoolean()
                        ? AppendEntriesResponse.accepted(from, to, term, index)
                        : AppendEntriesResponse.rejected(from, to, term, index, index / 2, Math.min(term, 3));
            case 4:
                return new HeartbeatRequest(from, to, term, index, r.nextInt(Integer.MAX_VALUE));
            case 5:
                return new HeartbeatResponse(from, to, term, r.nextInt(Integer.MAX_VALUE));
            case 6:
                return new TimeoutNow(from, to, term);
            case 7:
                return new ReadIndexRequest(from, to, term, r.nextLong());
            case 8:
                return new ReadIndexResponse(from, to, term, r.nextLong(), index, r.nextBoolean());
            default:
                throw new IllegalStateException("unreachable");
        }
    }
}
