package io.raftkv.testkit.linearizability;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Why a key's history is not linearizable: a set of OK operations on the key that cannot be put in any order
 * consistent with their times and the register's behaviour, even when every other operation on the key may have
 * taken effect at any time after its invoke, or not at all.
 *
 * @param key the key
 * @param operations the operations that cannot be ordered, by invoke time
 * @param minimal whether dropping any one of them was verified to make the rest orderable (false when the
 *     shrinking budget ran out first; the set is then still unorderable, just perhaps not the smallest)
 * @param context writes elsewhere in the key's history of the values these operations read or expect, for the
 *     reader (they are not needed for the contradiction)
 * @param neverWritten values these operations read or expect that no operation in the history writes
 */
public record Explanation(
        String key,
        List<Operation> operations,
        boolean minimal,
        List<Operation> context,
        List<String> neverWritten) {

    private static final int MAX_LISTED = 40;
    private static final int HEAD_LISTED = 10;

    public Explanation {
        operations = List.copyOf(operations);
        context = List.copyOf(context);
        neverWritten = List.copyOf(neverWritten);
    }

    /**
     * A readable multi-line explanation: one operation per line, with raw and relative times (at most 40 lines of
     * operations: the first 10 and the last 30).
     */
    public String text() {
        long t0 = operations.stream().mapToLong(Operation::invokeTime).min().orElse(0);
        for (Operation op : context) {
            t0 = Math.min(t0, op.invokeTime());
        }
        StringBuilder sb = new StringBuilder();
        sb.append("key \"").append(key).append("\": ").append(operations.size())
                .append(operations.size() == 1 ? " operation that cannot be placed" : " operations that cannot be ordered")
                .append(minimal ? " (a minimal set: without any one of them the rest can be ordered)"
                        : " (shrinking stopped early: the set may not be minimal)")
                .append('\n')
                .append("even if every other operation on the key took effect at any time after its invoke, or not at "
                        + "all. Times in ns as recorded, and relative to the first invoke shown:\n");
        for (int i = 0; i < operations.size(); i++) {
            // A set that could not be shrunk may be huge: the operations nearest the violation matter most.
            if (operations.size() > MAX_LISTED && i == HEAD_LISTED) {
                int skipped = operations.size() - MAX_LISTED;
                sb.append("  ... ").append(skipped).append(" more operations ...\n");
                i += skipped - 1;
                continue;
            }
            sb.append("  ").append(line(operations.get(i), t0)).append('\n');
        }
        if (!neverWritten.isEmpty()) {
            List<String> quoted = new ArrayList<>();
            for (String v : neverWritten) {
                quoted.add(Operation.quote(v));
            }
            sb.append("no operation in the history writes ").append(String.join(", ", quoted)).append('\n');
        }
        if (!context.isEmpty()) {
            sb.append("for context, the writes of the values they observe:\n");
            for (Operation op : context) {
                sb.append("  ").append(line(op, t0)).append('\n');
            }
        }
        return sb.toString();
    }

    private static String line(Operation op, long t0) {
        String end = op.completeTime() == Operation.NEVER
                ? "never completed (info)"
                : String.format(Locale.ROOT, "%d (%s)", op.completeTime(), relative(op.completeTime() - t0));
        return String.format(Locale.ROOT, "process %-4d %-26s %-4s invoked %d (%s) .. %s  [line %d]",
                op.process(), op.describe(), op.status() == Operation.Status.OK ? "ok" : "info", op.invokeTime(),
                relative(op.invokeTime() - t0), end, op.line());
    }

    private static String relative(long nanos) {
        if (nanos < 10_000) {
            return "+" + nanos + " ns";
        }
        if (nanos < 10_000_000) {
            return String.format(Locale.ROOT, "+%.1f us", nanos / 1e3);
        }
        if (nanos < 10_000_000_000L) {
            return String.format(Locale.ROOT, "+%.3f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "+%.3f s", nanos / 1e9);
    }

    @Override
    public String toString() {
        return text();
    }
}
