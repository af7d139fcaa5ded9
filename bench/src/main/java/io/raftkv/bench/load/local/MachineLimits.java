package io.raftkv.bench.load.local;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What this machine allows, measured in the same session as the cells so that they can be read against it: the
 * fsync rate of the disk under the data directory and the loopback TCP round trip. A put acknowledged by a
 * majority needs at least one fsync and one round trip, so their sum is the floor of a single client's put
 * latency.
 *
 * @param directory       where the fsyncs were measured
 * @param fsyncsPerSecond 4 KiB writes into a preallocated file, each followed by an fsync, one after another
 * @param fsyncP50Ms      their median time
 * @param fsyncP99Ms      their 99th percentile
 * @param rttP50Ms        loopback TCP round trip (1 byte each way), median
 * @param rttP99Ms        its 99th percentile
 * @param sharedFsyncP50Ms the same fsync's median with {@value #REPLICAS} writers at once, one per replica of a
 *                        local cluster (all on this one disk): what each node's log fsync can expect there
 * @param sharedFsyncP99Ms its 99th percentile
 */
public record MachineLimits(String directory, double fsyncsPerSecond, double fsyncP50Ms, double fsyncP99Ms,
                            double rttP50Ms, double rttP99Ms, double sharedFsyncP50Ms, double sharedFsyncP99Ms) {

    /** Writers of the shared-disk fsync measurement: the replicas of a local cluster. */
    public static final int REPLICAS = 3;

    /** Measures them, each for about {@code each}. */
    public static MachineLimits measure(Path directory, Duration each) throws IOException {
        FsyncProbe.Result fsync = FsyncProbe.run(directory, each);
        FsyncProbe.Result shared = FsyncProbe.runConcurrent(directory, each, REPLICAS);
        LoopbackProbe.Result rtt = LoopbackProbe.run(each);
        return new MachineLimits(directory.toString(), fsync.perSecond(), fsync.p50Ms(), fsync.p99Ms(),
                rtt.p50Ms(), rtt.p99Ms(), shared.p50Ms(), shared.p99Ms());
    }

    /** One fsync plus one loopback round trip (medians): what a single client's put cannot beat. */
    public double floorMs() {
        return fsyncP50Ms + rttP50Ms;
    }

    /**
     * The floor when the replicas share this one disk, as a local cluster's do: one fsync while the other
     * replicas fsync too, plus one round trip (medians).
     */
    public double sharedDiskFloorMs() {
        return sharedFsyncP50Ms + rttP50Ms;
    }
}
