package io.raftkv.bench.load.local;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The member processes of one local cluster, each writing its output to {@code <name>.log} in the cluster's
 * directory. Closing stops them with SIGTERM (a clean shutdown), and with SIGKILL whatever has not exited after
 * ten seconds.
 */
final class NodeProcesses implements AutoCloseable {

    private record Member(String name, Process process, Path log) {
    }

    private final Path directory;
    private final List<Member> members = new ArrayList<>();

    NodeProcesses(Path directory) {
        this.directory = directory;
    }

    /** Starts {@code command} as member {@code name}. */
    void start(String name, List<String> command) throws IOException {
        Path log = directory.resolve(name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        members.add(new Member(name, p, log));
    }

    /** Throws, naming the member and its log, if any member has exited. */
    void checkAlive() {
        for (Member m : members) {
            if (!m.process().isAlive()) {
                throw new IllegalStateException(m.name() + " exited with status " + m.process().exitValue()
                        + "; see " + m.log());
            }
        }
    }

    /** The process ids, for the report ("n1=1234, ..."). */
    String pids() {
        StringBuilder b = new StringBuilder();
        for (Member m : members) {
            b.append(b.length() > 0 ? ", " : "").append(m.name()).append('=').append(m.process().pid());
        }
        return b.toString();
    }

    @Override
    public void close() {
        members.forEach(m -> m.process().destroy());
        for (Member m : members) {
            try {
                if (!m.process().waitFor(10, TimeUnit.SECONDS)) {
                    m.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                m.process().destroyForcibly();
            }
        }
    }
}
