package io.raftkv.testkit.scenario;

import java.util.List;

/**
 * A scenario whose expectations did not hold (or whose script could not be carried out). The message lists
 * every failed {@code expect} as {@code name.script:line: expect ... -> what was found}, then the end of the
 * transcript for context.
 */
public final class ScenarioFailure extends AssertionError {

    private static final long serialVersionUID = 1L;

    private final transient List<String> failures;

    ScenarioFailure(String scenario, List<String> failures, String transcriptTail) {
        super("scenario '" + scenario + "' failed:\n  " + String.join("\n  ", failures)
                + "\n--- end of the transcript ---\n" + transcriptTail);
        this.failures = List.copyOf(failures);
    }

    /** Each failure as {@code name.script:line: command -> finding}. */
    public List<String> failures() {
        return failures;
    }
}
