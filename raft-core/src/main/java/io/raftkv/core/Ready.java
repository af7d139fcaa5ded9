package io.raftkv.core;

import io.raftkv.core.message.RaftMessage;
import java.util.List;

/**
 * What the runtime must do now, handed out by {@link RaftNode#ready()} and confirmed with
 * {@link RaftNode#advance(Ready)}. The obligations, in order:
 *
 * <ol>
 *   <li>Send {@link #messages()} at any time, even before anything below is durable. These are the leader's
 *       replication messages; the leader counts its own log for commitment only once it is persisted, so its
 *       disk write may run in parallel with replication (Raft dissertation, section 10.2.1).</li>
 *   <li>Persist {@link #hardState()} (if not null); install {@link #snapshot()} (if not null: its data was
 *       received and verified by the runtime) so that storage's log starts after it, and restore the state
 *       machine from it once the committed entries handed out earlier are applied, reporting its index with
 *       {@link RaftNode#appliedTo(long)}; persist {@link #entries()} (each batch replaces any persisted
 *       entries from its first index on); all durably.</li>
 *   <li>Only then send {@link #messagesAfterPersist()}: votes and acknowledgements promise that state.</li>
 *   <li>Apply {@link #committedEntries()} in order (already durable), then report with
 *       {@link RaftNode#appliedTo(long)}, now or later from another stage of the runtime.</li>
 *   <li>Serve {@link #readStates()} (their index is applied) and fail {@link #abortedReads()}; track
 *       {@link #forwardOutcomes()} like local proposals and fail {@link #abortedForwards()}.</li>
 *   <li>Call {@link RaftNode#advance(Ready)}. Until then {@link RaftNode#ready()} hands out nothing new, but
 *       ticks, messages and proposals may still be fed to the node.</li>
 * </ol>
 *
 * @param hardState            term and vote to persist, or {@code null} if unchanged
 * @param snapshot             a snapshot from the leader to install before the entries, or {@code null}
 * @param entries              entries to persist, in index order
 * @param messages             messages that may be sent immediately
 * @param messagesAfterPersist messages to send only after hard state and entries are durable
 * @param committedEntries     committed entries to apply, in index order
 * @param readStates           reads that may now be served from local state
 * @param abortedReads         ids of reads that failed (leadership changed); the caller may retry them
 * @param forwardOutcomes      the leader's answers to proposals this node forwarded
 * @param abortedForwards      ids of forwarded proposals whose answer will not come (the leader changed): they may
 *                             or may not have been appended
 */
public record Ready(HardState hardState, SnapshotMeta snapshot, List<Entry> entries, List<RaftMessage> messages,
                    List<RaftMessage> messagesAfterPersist, List<Entry> committedEntries,
                    List<ReadState> readStates, List<Long> abortedReads, List<ForwardOutcome> forwardOutcomes,
                    List<Long> abortedForwards) {

    /** True if the runtime must write something durably before sending {@link #messagesAfterPersist()}. */
    public boolean mustPersist() {
        return hardState != null || snapshot != null || !entries.isEmpty();
    }
}
