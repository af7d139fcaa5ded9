package io.raftkv.core.membership;

import io.raftkv.core.Configuration;
import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.log.LogView;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which membership is in force on a node, and what it falls back to. A configuration entry takes effect as
 * soon as it is in the log, committed or not, and stops when it is truncated away; so the node keeps every
 * configuration entry its log holds after the snapshot, and the snapshot's configuration as the base that
 * applies when there is none. Internal to the core.
 *
 * <p>Config entries are rare (one per membership change), so a list searched from the end is enough.
 */
public final class ConfigurationHistory {

    /** One configuration entry held in the log. */
    public record Change(long index, long term, Configuration configuration) {
    }

    private long baseIndex;
    private long baseTerm;
    private Configuration base;
    /** Configuration entries after {@code baseIndex}, in index order. */
    private final List<Change> changes = new ArrayList<>();

    /**
     * Starts from {@code snapshot} (the log starts after it) and the configuration entries the log holds after
     * it, in index order (as storage recovered them).
     */
    public ConfigurationHistory(SnapshotMeta snapshot, List<Entry> configurationEntries) {
        reset(snapshot);
        for (Entry e : configurationEntries) {
            if (e.index() > baseIndex) {
                appended(e);
            }
        }
    }

    /** The configuration in force: the latest entry's, or the snapshot's. */
    public Configuration current() {
        return changes.isEmpty() ? base : changes.get(changes.size() - 1).configuration();
    }

    /** The index of the entry the current configuration comes from (the snapshot's index if from the snapshot). */
    public long currentIndex() {
        return changes.isEmpty() ? baseIndex : changes.get(changes.size() - 1).index();
    }

    /** The term of that entry. */
    public long currentTerm() {
        return changes.isEmpty() ? baseTerm : changes.get(changes.size() - 1).term();
    }

    /**
     * The configuration in force at {@code index}: that of the latest configuration entry at or before it.
     *
     * @throws IllegalArgumentException if {@code index} is before the snapshot the history starts from
     */
    public Configuration at(long index) {
        if (index < baseIndex) {
            throw new IllegalArgumentException("the configuration at " + index + " is not known: the log starts "
                    + "after the snapshot at " + baseIndex);
        }
        for (int i = changes.size() - 1; i >= 0; i--) {
            if (changes.get(i).index() <= index) {
                return changes.get(i).configuration();
            }
        }
        return base;
    }

    /** The configuration entries after the snapshot, in index order. */
    public List<Change> changes() {
        return List.copyOf(changes);
    }

    /** Forgets everything: the log was replaced by {@code snapshot}. */
    public void reset(SnapshotMeta snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        baseIndex = snapshot.index();
        baseTerm = snapshot.term();
        base = snapshot.configuration();
        changes.clear();
    }

    /**
     * Records a configuration entry just appended to the log (after every entry recorded so far; one already
     * recorded, same index and term, is ignored).
     */
    public void appended(Entry e) {
        if (e.type() != EntryType.CONFIGURATION) {
            throw new IllegalArgumentException("entry " + e + " is not a configuration entry");
        }
        for (int i = changes.size() - 1; i >= 0 && changes.get(i).index() >= e.index(); i--) {
            if (changes.get(i).index() == e.index() && changes.get(i).term() == e.term()) {
                return; // appended again (a duplicated or resent append): already in force
            }
        }
        Change last = changes.isEmpty() ? null : changes.get(changes.size() - 1);
        if (last != null && last.index() >= e.index()) {
            throw new IllegalStateException("configuration entry " + e.index() + "/" + e.term()
                    + " appended before the recorded entry " + last.index() + "/" + last.term()
                    + " was truncated");
        }
        changes.add(new Change(e.index(), e.term(), e.configuration()));
    }

    /**
     * Brings the history in line with {@code log} after entries were appended to it (possibly replacing a
     * suffix) and possibly compacted under it: entries covered by {@code snapshot} give way to the snapshot's
     * configuration, and recorded entries the log no longer holds with the same term were truncated away,
     * which reverts the configuration to the one before them. Then records the configuration entries among
     * {@code appended} that the log holds.
     */
    public void reconcile(LogView log, SnapshotMeta snapshot, List<Entry> appended) {
        if (snapshot.index() > baseIndex) {
            // Compacted: the snapshot's configuration is the one in force at its index.
            baseIndex = snapshot.index();
            baseTerm = snapshot.term();
            base = snapshot.configuration();
            changes.removeIf(c -> c.index() <= baseIndex);
        }
        // A truncation removes a suffix, so the entries it removed are at the end.
        while (!changes.isEmpty() && log.term(changes.get(changes.size() - 1).index())
                != changes.get(changes.size() - 1).term()) {
            changes.remove(changes.size() - 1);
        }
        for (int i = 0; i < appended.size(); i++) {
            Entry e = appended.get(i);
            if (e.type() == EntryType.CONFIGURATION && e.index() > baseIndex && log.term(e.index()) == e.term()) {
                appended(e);
            }
        }
    }
}
