package io.raftkv.bench.load;

/**
 * One cell run against raftkv and etcd in the same session, as ratios: how many times etcd's throughput raftkv
 * reached, and how many times raftkv's p99 latency etcd's was (above 1 means raftkv is better on both).
 *
 * @param cellId          the cell
 * @param description     what it runs
 * @param raftkvOpsPerSec raftkv's throughput
 * @param etcdOpsPerSec   etcd's throughput
 * @param throughputRatio raftkv's ÷ etcd's, null if etcd did nothing
 * @param raftkvP99Ms     raftkv's p99 latency
 * @param etcdP99Ms       etcd's p99 latency
 * @param p99Ratio        etcd's ÷ raftkv's, null if raftkv did nothing
 */
public record Comparison(String cellId, String description, double raftkvOpsPerSec, double etcdOpsPerSec,
                         Double throughputRatio, double raftkvP99Ms, double etcdP99Ms, Double p99Ratio) {

    /** The comparison of two results of the same cell. */
    public static Comparison of(CellResult raftkv, CellResult etcd) {
        double r = raftkv.outcome() == null ? 0 : raftkv.outcome().throughput();
        double e = etcd.outcome() == null ? 0 : etcd.outcome().throughput();
        double rp = raftkv.outcome() == null ? 0 : raftkv.outcome().latency().p99();
        double ep = etcd.outcome() == null ? 0 : etcd.outcome().latency().p99();
        return new Comparison(raftkv.cell().id(), raftkv.cell().describe(), r, e, e > 0 ? Double.valueOf(r / e) : null, rp, ep,
                rp > 0 ? Double.valueOf(ep / rp) : null);
    }
}
