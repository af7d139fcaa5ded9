package io.raftkv.testkit.linearizability;

import java.util.List;

/**
 * A history's invokes paired with their completions.
 *
 * @param operations the operations that happened or may have happened (OK and INFO), ordered by invoke time
 * @param failed how many operations completed with {@code fail} and were dropped (they did not happen)
 */
public record PairedHistory(List<Operation> operations, int failed) {

    public PairedHistory {
        operations = List.copyOf(operations);
    }
}
