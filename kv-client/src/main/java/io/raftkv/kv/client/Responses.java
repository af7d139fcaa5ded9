package io.raftkv.kv.client;

import io.raftkv.kv.api.proto.ClientResponse;
import io.raftkv.kv.api.proto.GetResponse;
import io.raftkv.kv.api.proto.StatusResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Turns protocol responses into the client's value types, and protocol errors into {@link KvClientException}. */
final class Responses {

    private Responses() {
    }

    static ErrorCode code(io.raftkv.kv.api.proto.ErrorCode code) {
        return switch (code) {
            case BAD_REQUEST -> ErrorCode.BAD_REQUEST;
            case TOO_LARGE -> ErrorCode.TOO_LARGE;
            case UNAVAILABLE -> ErrorCode.UNAVAILABLE;
            case NOT_LEADER -> ErrorCode.NOT_LEADER;
            case OVERLOADED -> ErrorCode.OVERLOADED;
            // A code from a newer server is not understood: not retried, reported as is.
            case INTERNAL, ERROR_UNSPECIFIED, UNRECOGNIZED -> ErrorCode.INTERNAL;
        };
    }

    static io.raftkv.kv.api.proto.Consistency consistency(Consistency c) {
        return switch (c) {
            case LINEARIZABLE -> io.raftkv.kv.api.proto.Consistency.LINEARIZABLE;
            case LEASE -> io.raftkv.kv.api.proto.Consistency.LEASE;
            case STALE -> io.raftkv.kv.api.proto.Consistency.STALE;
        };
    }

    /** Fails unless {@code r} carries a result of {@code expected}. */
    private static void expect(Endpoint from, ClientResponse r, ClientResponse.ResultCase expected) {
        if (r.getResultCase() == expected) {
            return;
        }
        if (r.hasError()) {
            throw new KvClientException(code(r.getError().getCode()), from + ": " + r.getError().getMessage(),
                    r.getError().getOutcomeUnknown(), r.getError().getLeaderId(), null);
        }
        throw new KvClientException(ErrorCode.INTERNAL, from + " answered " + r.getResultCase() + " to a "
                + expected + " request");
    }

    static long put(Endpoint from, ClientResponse r) {
        expect(from, r, ClientResponse.ResultCase.PUT);
        return r.getPut().getRevision();
    }

    static Optional<VersionedValue> get(Endpoint from, ClientResponse r) {
        expect(from, r, ClientResponse.ResultCase.GET);
        GetResponse g = r.getGet();
        return g.getFound() ? Optional.of(new VersionedValue(g.getValue().toByteArray(), g.getRevision()))
                : Optional.empty();
    }

    static DeleteResult delete(Endpoint from, ClientResponse r) {
        expect(from, r, ClientResponse.ResultCase.DELETE);
        return new DeleteResult(r.getDelete().getDeleted(), r.getDelete().getRevision());
    }

    static CasResult cas(Endpoint from, ClientResponse r) {
        expect(from, r, ClientResponse.ResultCase.CAS);
        return new CasResult(r.getCas().getSucceeded(), r.getCas().getRevision());
    }

    static ScanPage scan(Endpoint from, ClientResponse r) {
        expect(from, r, ClientResponse.ResultCase.SCAN);
        List<KeyValue> items = new ArrayList<>(r.getScan().getItemsCount());
        r.getScan().getItemsList().forEach(kv -> items.add(new KeyValue(kv.getKey().toByteArray(),
                kv.getValue().toByteArray(), kv.getRevision())));
        return new ScanPage(items, r.getScan().getMore());
    }

    static SnapshotTaken snapshot(Endpoint from, ClientResponse r) {
        expect(from, r, ClientResponse.ResultCase.SNAPSHOT);
        return new SnapshotTaken(from.toString(), r.getSnapshot().getIndex(), r.getSnapshot().getTerm());
    }

    static NodeStatus status(Endpoint from, ClientResponse r) {
        expect(from, r, ClientResponse.ResultCase.STATUS);
        StatusResponse s = r.getStatus();
        List<NodeStatus.Member> members = new ArrayList<>(s.getMembersCount());
        s.getMembersList().forEach(m -> members.add(new NodeStatus.Member(m.getId(), m.getRole())));
        return new NodeStatus(s.getId(), s.getRole(), s.getTerm(), s.getLeader().isEmpty() ? null : s.getLeader(),
                s.getCommitIndex(), s.getAppliedIndex(), s.getLastIndex(), s.getSnapshotIndex(), members);
    }
}
