package io.raftkv.testkit.scenario;

import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
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
import java.util.List;
import java.util.StringJoiner;

/**
 * The compact one-line forms used in transcripts: an entry is {@code index/term} (with {@code :data} for a
 * command that carries data), a message is {@code from->to Type tTerm fields...}.
 */
final class TraceFormat {

    private TraceFormat() {
    }

    static String entry(Entry e) {
        if (e.type() == EntryType.COMMAND && e.data().length > 0) {
            return e.index() + "/" + e.term() + ":" + data(e);
        }
        return e.index() + "/" + e.term();
    }

    static String data(Entry e) {
        return new String(e.data(), StandardCharsets.UTF_8);
    }

    static String entries(List<Entry> entries) {
        StringJoiner j = new StringJoiner(" ");
        for (Entry e : entries) {
            j.add(entry(e));
        }
        return j.toString();
    }

    /** The type name used in transcripts and in {@code type=} filters. */
    static String type(RaftMessage m) {
        if (m instanceof VoteRequest v) {
            return v.preVote() ? "PreVote" : "Vote";
        } else if (m instanceof VoteResponse v) {
            return v.preVote() ? "PreVoteResponse" : "VoteResponse";
        } else if (m instanceof AppendEntriesRequest) {
            return "AppendEntries";
        } else if (m instanceof AppendEntriesResponse) {
            return "AppendResponse";
        } else if (m instanceof HeartbeatRequest) {
            return "Heartbeat";
        } else if (m instanceof HeartbeatResponse) {
            return "HeartbeatResponse";
        } else if (m instanceof TimeoutNow) {
            return "TimeoutNow";
        } else if (m instanceof ReadIndexRequest) {
            return "ReadIndex";
        } else if (m instanceof ReadIndexResponse) {
            return "ReadIndexResponse";
        } else if (m instanceof io.raftkv.core.message.ProposalForward) {
            return "Forward";
        } else if (m instanceof io.raftkv.core.message.ProposalForwardResponse) {
            return "ForwardResponse";
        }
        throw new IllegalArgumentException("unknown message " + m);
    }

    static String message(RaftMessage m) {
        String head = m.from() + "->" + m.to() + " " + type(m) + " t" + m.term();
        if (m instanceof VoteRequest v) {
            return head + " last=" + v.lastLogIndex() + "/" + v.lastLogTerm()
                    + (v.leadershipTransfer() ? " transfer" : "");
        } else if (m instanceof VoteResponse v) {
            return head + (v.granted() ? " granted" : " rejected");
        } else if (m instanceof AppendEntriesRequest a) {
            return head + " prev=" + a.prevLogIndex() + "/" + a.prevLogTerm() + " [" + entries(a.entries())
                    + "] commit=" + a.leaderCommit();
        } else if (m instanceof AppendEntriesResponse r) {
            if (r.success()) {
                return head + " ok match=" + r.matchIndex();
            }
            return head + " reject prev=" + r.rejectedIndex() + " hint=" + r.hintIndex() + "/" + r.hintTerm();
        } else if (m instanceof HeartbeatRequest h) {
            return head + " commit=" + h.commit() + " round=" + h.readRound();
        } else if (m instanceof HeartbeatResponse h) {
            return head + " round=" + h.readRound();
        } else if (m instanceof ReadIndexRequest r) {
            return head + " id=" + r.requestId();
        } else if (m instanceof ReadIndexResponse r) {
            return head + " id=" + r.requestId() + (r.success() ? " index=" + r.readIndex() + " ok" : " failed");
        } else if (m instanceof io.raftkv.core.message.ProposalForward f) {
            return head + " id=" + f.forwardId() + " commands=" + f.commands().size();
        } else if (m instanceof io.raftkv.core.message.ProposalForwardResponse r) {
            return head + " id=" + r.forwardId() + (r.refusal() == 0 ? " appended " + r.firstIndex() + ".."
                    + r.lastIndex() + "/" + r.proposalTerm() : " refused " + r.refusal());
        }
        return head;
    }
}
