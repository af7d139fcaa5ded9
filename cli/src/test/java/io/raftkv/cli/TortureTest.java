package io.raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.cli.torture.TortureRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short torture run of every build: three real server processes, eight clients on five hot keys, the
 * nemesis killing, pausing and partitioning nodes for about a minute ({@code -Draftkv.torture.seconds}), then
 * a linearizability check of the whole history. {@code -Draftkv.torture.seed=S} replays a schedule (the
 * interleaving of real processes still differs). Long runs: {@code bin/raftkv torture --time 600 --nodes 5}.
 */
class TortureTest {

    @TempDir
    Path dir;

    @Test
    void aShortTortureRunStaysLinearizable() throws Exception {
        long seed = Long.getLong("raftkv.torture.seed", System.nanoTime());
        int seconds = Integer.getInteger("raftkv.torture.seconds", 60);
        System.out.println("torture seed " + seed + " (replay the schedule with -Draftkv.torture.seed=" + seed + ")");
        TortureRun.Outcome o = new TortureRun(dir.resolve("run"), 3, seconds, seed, 8, 5).execute();
        System.out.println(o.summary());
        assertThat(Files.readString(dir.resolve("run/report.txt"))).as("report").contains("verdict:");
        assertThat(o.passed()).as(Files.readString(dir.resolve("run/report.txt"))).isTrue();
    }
}
