package io.raftkv.bench.load;

import io.raftkv.bench.load.target.ReadConsistency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The cells of issue 8, on three nodes with fsync on:
 *
 * <ol>
 *   <li>put, 8-byte sequential keys, 256-byte values: 1, 16, 64, 256 and 1,000 clients, to the leader only and to
 *       all members;</li>
 *   <li>get, linearizable and stale, same sizes: 1 and 256 clients;</li>
 *   <li>mixed 90% put / 10% linearizable get, 16-byte keys and values, 256 clients;</li>
 *   <li>put with 4 KiB values, 64 clients (read as MB/s).</li>
 * </ol>
 *
 * Every cell is a closed loop with the warm-up and duration given.
 */
final class BenchMatrix {

    static final int[] PUT_CLIENTS = {1, 16, 64, 256, 1000};
    static final int[] GET_CLIENTS = {1, 256};

    private BenchMatrix() {
    }

    /**
     * @param keySpace how many distinct keys every cell uses (sequential; reads preload them)
     */
    static List<Cell> issue8(long keySpace, Duration warmup, Duration duration) {
        KeySpace k8 = new KeySpace(KeySpace.Order.SEQUENTIAL, keySpace, 8);
        KeySpace k16 = new KeySpace(KeySpace.Order.SEQUENTIAL, keySpace, 16);
        List<Cell> cells = new ArrayList<>();
        for (int clients : PUT_CLIENTS) {
            for (NodeSelection nodes : NodeSelection.values()) {
                cells.add(new Cell("1.put-c" + clients + "-" + (nodes == NodeSelection.LEADER ? "leader" : "all"),
                        Workload.put(k8, 256), shape(clients, warmup, duration), nodes));
            }
        }
        for (ReadConsistency c : List.of(ReadConsistency.LINEARIZABLE, ReadConsistency.STALE)) {
            for (int clients : GET_CLIENTS) {
                cells.add(new Cell("2.get-" + c.name().toLowerCase(java.util.Locale.ROOT) + "-c" + clients,
                        Workload.get(c, k8, 256), shape(clients, warmup, duration), NodeSelection.LEADER));
            }
        }
        cells.add(new Cell("3.mixed10-c256", Workload.mixed(0.1, ReadConsistency.LINEARIZABLE, k16, 16),
                shape(256, warmup, duration), NodeSelection.LEADER));
        cells.add(new Cell("4.put4k-c64", Workload.put(k8, 4096), shape(64, warmup, duration), NodeSelection.LEADER));
        return cells;
    }

    private static LoadShape shape(int clients, Duration warmup, Duration duration) {
        return new LoadShape(clients, 0, 0, warmup, duration, 0);
    }
}
