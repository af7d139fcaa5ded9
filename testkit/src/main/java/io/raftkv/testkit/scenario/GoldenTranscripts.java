package io.raftkv.testkit.scenario;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The scenario directory of the source tree ({@code testkit/src/test/resources/scenarios}): scripts
 * ({@code NAME.script}) and their golden transcripts ({@code NAME.expected}). Both are read from the source
 * tree rather than the class path so that a rewritten transcript is what the next run compares against.
 * With {@code -Dscenario.rewrite=true}, {@link #verify} writes the transcript instead of comparing it.
 */
public final class GoldenTranscripts {

    /** The system property that turns comparison into rewriting. */
    public static final String REWRITE_PROPERTY = "scenario.rewrite";

    private static final String RELATIVE = "src/test/resources/scenarios";

    private final Path directory;

    private GoldenTranscripts(Path directory) {
        this.directory = directory;
    }

    /**
     * Finds the scenario directory from the working directory: the testkit module (where surefire runs
     * tests) or the repository root.
     */
    public static GoldenTranscripts inSourceTree() {
        Path cwd = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path candidate : new Path[] {cwd.resolve(RELATIVE), cwd.resolve("testkit").resolve(RELATIVE)}) {
            if (Files.isDirectory(candidate)) {
                return new GoldenTranscripts(candidate);
            }
        }
        throw new IllegalStateException("no scenario directory under " + cwd + " (looked for " + RELATIVE
                + " and testkit/" + RELATIVE + ")");
    }

    /** The directory holding the scripts. */
    public Path directory() {
        return directory;
    }

    /** Reads and parses {@code NAME.script}. */
    public ScenarioScript script(String name) {
        return ScenarioScript.parse(name, read(directory.resolve(name + ".script")));
    }

    /**
     * Compares the transcript with {@code NAME.expected}, failing with a diff if they differ; or, when
     * {@value #REWRITE_PROPERTY} is true, writes the transcript as the new expected text.
     */
    public void verify(String name, String transcript) {
        Path expectedFile = directory.resolve(name + ".expected");
        if (Boolean.getBoolean(REWRITE_PROPERTY)) {
            try {
                Files.writeString(expectedFile, transcript, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return;
        }
        if (!Files.exists(expectedFile)) {
            throw new AssertionError("no golden transcript " + expectedFile + "; run the test with -D"
                    + REWRITE_PROPERTY + "=true to create it");
        }
        String expected = read(expectedFile).replace("\r\n", "\n");
        if (!expected.equals(transcript)) {
            throw new AssertionError("transcript of scenario '" + name + "' differs from " + expectedFile
                    + " (- expected, + actual; if the change is intended, rerun with -D" + REWRITE_PROPERTY
                    + "=true and review the diff):\n" + TranscriptDiff.diff(expected, transcript));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
