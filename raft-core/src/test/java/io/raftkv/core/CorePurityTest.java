package io.raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core's defining rule, checked on its source: no threads, no clock, no unseeded randomness, no file or
 * socket I/O. Everything of that kind belongs to the runtime; the core stays deterministic so the simulator
 * can replay any run from its seed.
 */
class CorePurityTest {

    private static final List<Pattern> FORBIDDEN = List.of(
            Pattern.compile("\\bimport\\s+java\\.io\\."),
            Pattern.compile("\\bimport\\s+java\\.nio\\."),
            Pattern.compile("\\bimport\\s+java\\.net\\."),
            Pattern.compile("\\bimport\\s+java\\.util\\.concurrent\\b"),
            Pattern.compile("\\bimport\\s+java\\.time\\b"),
            Pattern.compile("\\bThread\\b"),
            Pattern.compile("\\bSystem\\s*\\.\\s*(currentTimeMillis|nanoTime|getenv|getProperty|exit)\\b"),
            Pattern.compile("\\bnew\\s+Random\\s*\\(\\s*\\)"),
            Pattern.compile("\\bThreadLocalRandom\\b"),
            Pattern.compile("\\bMath\\s*\\.\\s*random\\b"),
            Pattern.compile("\\bsynchronized\\b"),
            Pattern.compile("\\bjava\\.(io|nio|net)\\.[A-Z]"));

    @Test
    void coreSourcesUseNoThreadsClockRandomnessOrIo() throws IOException {
        Path root = Path.of("src/main/java");
        List<String> offences = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    String code = line.trim().startsWith("*") || line.trim().startsWith("//") ? "" : line;
                    for (Pattern p : FORBIDDEN) {
                        if (p.matcher(code).find()) {
                            offences.add(root.relativize(f) + ":" + (i + 1) + ": " + line.trim());
                        }
                    }
                }
            }
        }
        assertThat(offences).as("forbidden constructs in raft-core").isEmpty();
    }

    @Test
    void coreHasNoCompileOrRuntimeDependencies() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        int start = pom.indexOf("<dependencies>");
        String deps = start < 0 ? "" : pom.substring(start, pom.indexOf("</dependencies>"));
        for (String dependency : deps.split("<dependency>")) {
            if (dependency.contains("<artifactId>")) {
                assertThat(dependency).as("raft-core dependency must be test-scoped: " + dependency.trim())
                        .contains("<scope>test</scope>");
            }
        }
    }
}
