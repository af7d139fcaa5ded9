package io.raftkv.kv.server.fault;

import io.raftkv.core.Entry;
import io.raftkv.core.HardState;
import io.raftkv.core.NodeId;
import io.raftkv.core.Configuration;
import io.raftkv.core.SnapshotMeta;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.kv.server.http.FaultControl;
import io.raftkv.server.MessageSender;
import io.raftkv.storage.RaftStorage;
import io.raftkv.storage.snapshot.SnapshotStore;
import io.raftkv.storage.snapshot.SnapshotWriter;
import io.raftkv.storage.snapshot.StoredSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The faults of one node, applied where the node meets the world: messages it sends and receives, its disk
 * syncs, and its Raft loop. Faults are replaced as a whole (an immutable {@link Faults} value), so a message
 * sees one consistent set. Only ever constructed when fault injection is enabled.
 */
public final class FaultInjector implements FaultControl {

    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

    /** Everything in force. Empty peer sets mean "every peer". */
    record Faults(Set<String> isolatedPeers, Direction isolation, int dropPercent, Set<String> dropPeers,
                  long delayMillis, int delayPercent, long diskDelayMillis) {
        static final Faults NONE = new Faults(null, null, 0, Set.of(), 0, 0, 0);
    }

    private final ScheduledExecutorService scheduler;
    private final Consumer<Duration> loopStaller;
    private volatile Faults faults = Faults.NONE;
    private volatile long pausedUntilMillis;

    /**
     * @param scheduler   runs delayed sends
     * @param loopStaller stalls the Raft loop for a duration (see {@code RaftServer#stallLoop})
     */
    public FaultInjector(ScheduledExecutorService scheduler, Consumer<Duration> loopStaller) {
        this.scheduler = scheduler;
        this.loopStaller = loopStaller;
    }

    /** The sender to give the Raft server: applies outbound faults, then sends through {@code next}. */
    public MessageSender outbound(MessageSender next) {
        return m -> {
            Faults f = faults;
            if (cut(f, m.to(), Direction.OUTBOUND) || dropped(f, m.to())) {
                return;
            }
            if (f.delayMillis() > 0 && ThreadLocalRandom.current().nextInt(100) < f.delayPercent()) {
                scheduler.schedule(() -> next.send(m), f.delayMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            next.send(m);
        };
    }

    /** The inbound handler to give the transport: applies inbound faults, then hands on to {@code next}. */
    public Consumer<RaftMessage> inbound(Consumer<RaftMessage> next) {
        return m -> {
            Faults f = faults;
            if (!cut(f, m.from(), Direction.INBOUND) && !dropped(f, m.from())) {
                next.accept(m);
            }
        };
    }

    /** The storage to give the Raft server: every sync is slowed by the disk fault in force. */
    public RaftStorage storage(RaftStorage next) {
        return new RaftStorage() {
            @Override
            public void writeHardState(HardState state) throws IOException {
                slow();
                next.writeHardState(state);
            }

            @Override
            public void append(List<Entry> entries) throws IOException {
                next.append(entries);
            }

            @Override
            public void sync() throws IOException {
                slow();
                next.sync();
            }

            @Override
            public HardState hardState() {
                return next.hardState();
            }

            @Override
            public Configuration configuration() {
                return next.configuration();
            }

            @Override
            public List<Entry> configurationEntries() {
                return next.configurationEntries();
            }

            @Override
            public long firstIndex() {
                return next.firstIndex();
            }

            @Override
            public long lastIndex() {
                return next.lastIndex();
            }

            @Override
            public long term(long index) {
                return next.term(index);
            }

            @Override
            public List<Entry> entries(long from, long toInclusive, long maxBytes) {
                return next.entries(from, toInclusive, maxBytes);
            }

            @Override
            public SnapshotMeta snapshot() {
                return next.snapshot();
            }

            @Override
            public Optional<StoredSnapshot> latestSnapshot() {
                return next.latestSnapshot();
            }

            @Override
            public SnapshotWriter beginSnapshot(long index, long term, Configuration configuration)
                    throws IOException {
                return next.beginSnapshot(index, term, configuration);
            }

            @Override
            public void compactTo(StoredSnapshot snapshot, long keepEntries) throws IOException {
                next.compactTo(snapshot, keepEntries);
            }

            @Override
            public Runnable compactDeferringDeletion(StoredSnapshot snapshot, long keepEntries) throws IOException {
                return next.compactDeferringDeletion(snapshot, keepEntries);
            }

            @Override
            public void installSnapshot(StoredSnapshot snapshot) throws IOException {
                slow();
                next.installSnapshot(snapshot);
            }

            @Override
            public SnapshotStore snapshots() {
                return next.snapshots();
            }

            @Override
            public void close() throws IOException {
                next.close();
            }
        };
    }

    private void slow() {
        long millis = faults.diskDelayMillis();
        if (millis > 0) {
            try {
                // The injected fault is the delay itself: the loop thread must block as on a slow disk.
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean cut(Faults f, NodeId peer, Direction way) {
        if (f.isolation() == null || (f.isolation() != Direction.BOTH && f.isolation() != way)) {
            return false;
        }
        return f.isolatedPeers().isEmpty() || f.isolatedPeers().contains(peer.value());
    }

    private static boolean dropped(Faults f, NodeId peer) {
        return f.dropPercent() > 0 && (f.dropPeers().isEmpty() || f.dropPeers().contains(peer.value()))
                && ThreadLocalRandom.current().nextInt(100) < f.dropPercent();
    }

    // ------------------------------------------------------------------------------------------------ control

    @Override
    public synchronized void isolate(Set<String> peers, Direction direction) {
        Faults f = faults;
        faults = new Faults(Set.copyOf(peers), direction, f.dropPercent(), f.dropPeers(), f.delayMillis(),
                f.delayPercent(), f.diskDelayMillis());
        LOG.warn("fault injected: isolated from {} ({})", peers.isEmpty() ? "every peer" : peers, direction);
    }

    @Override
    public synchronized void drop(int percent, Set<String> peers) {
        Faults f = faults;
        faults = new Faults(f.isolatedPeers(), f.isolation(), percent, Set.copyOf(peers), f.delayMillis(),
                f.delayPercent(), f.diskDelayMillis());
        LOG.warn("fault injected: dropping {}% of messages to and from {}", percent,
                peers.isEmpty() ? "every peer" : peers);
    }

    @Override
    public synchronized void delay(Duration delay, int percent) {
        Faults f = faults;
        faults = new Faults(f.isolatedPeers(), f.isolation(), f.dropPercent(), f.dropPeers(), delay.toMillis(),
                percent, f.diskDelayMillis());
        LOG.warn("fault injected: delaying {}% of outgoing messages by {} ms", percent, delay.toMillis());
    }

    @Override
    public synchronized void slowDisk(Duration delay) {
        Faults f = faults;
        faults = new Faults(f.isolatedPeers(), f.isolation(), f.dropPercent(), f.dropPeers(), f.delayMillis(),
                f.delayPercent(), delay.toMillis());
        LOG.warn("fault injected: every disk sync takes {} ms longer", delay.toMillis());
    }

    @Override
    public void pause(Duration duration) {
        pausedUntilMillis = System.currentTimeMillis() + duration.toMillis();
        LOG.warn("fault injected: Raft loop paused for {} ms", duration.toMillis());
        loopStaller.accept(duration);
    }

    @Override
    public void crash() {
        LOG.error("fault injected: crashing now (exit without cleanup)");
        Runtime.getRuntime().halt(137);
    }

    @Override
    public synchronized void heal() {
        faults = Faults.NONE;
        LOG.warn("faults healed");
    }

    @Override
    public Map<String, Object> active() {
        Faults f = faults;
        Map<String, Object> a = new LinkedHashMap<>();
        if (f.isolation() != null) {
            a.put("isolated", Map.of("peers", f.isolatedPeers().isEmpty() ? List.of("*") : List.copyOf(f.isolatedPeers()),
                    "direction", f.isolation().name().toLowerCase(java.util.Locale.ROOT)));
        }
        if (f.dropPercent() > 0) {
            a.put("drop", Map.of("percent", f.dropPercent(),
                    "peers", f.dropPeers().isEmpty() ? List.of("*") : List.copyOf(f.dropPeers())));
        }
        if (f.delayMillis() > 0) {
            a.put("delay", Map.of("millis", f.delayMillis(), "percent", f.delayPercent()));
        }
        if (f.diskDelayMillis() > 0) {
            a.put("slowDisk", Map.of("millis", f.diskDelayMillis()));
        }
        long paused = pausedUntilMillis - System.currentTimeMillis();
        if (paused > 0) {
            a.put("paused", Map.of("remainingMillis", paused));
        }
        return a;
    }
}
