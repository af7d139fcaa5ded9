package io.raftkv.testkit.scenario;

import java.util.ArrayList;
import java.util.List;

/**
 * A line diff of an expected and an actual transcript, in the familiar unified style: {@code -} lines are
 * only in the expected text, {@code +} lines only in the actual one, with a little context around each change.
 */
final class TranscriptDiff {

    private static final int CONTEXT = 3;
    private static final int MAX_LINES = 120;

    private TranscriptDiff() {
    }

    static String diff(String expected, String actual) {
        String[] a = expected.split("\n", -1);
        String[] b = actual.split("\n", -1);
        // Longest common subsequence table, from the ends; transcripts are a few hundred lines.
        int[][] lcs = new int[a.length + 1][b.length + 1];
        for (int i = a.length - 1; i >= 0; i--) {
            for (int j = b.length - 1; j >= 0; j--) {
                lcs[i][j] = a[i].equals(b[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> ops = new ArrayList<>(); // each line prefixed with ' ', '-' or '+'
        List<Integer> expectedLine = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
            if (i < a.length && j < b.length && a[i].equals(b[j])) {
                ops.add(" " + a[i]);
                expectedLine.add(i + 1);
                i++;
                j++;
            } else if (i < a.length && (j == b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
                ops.add("-" + a[i]);
                expectedLine.add(i + 1);
                i++;
            } else {
                ops.add("+" + b[j]);
                expectedLine.add(i + 1);
                j++;
            }
        }
        StringBuilder out = new StringBuilder();
        int printed = 0;
        int lastShown = -1;
        for (int k = 0; k < ops.size() && printed < MAX_LINES; k++) {
            if (!near(ops, k)) {
                continue;
            }
            if (k != lastShown + 1) {
                out.append("@@ expected line ").append(expectedLine.get(k)).append(" @@\n");
            }
            out.append(ops.get(k)).append('\n');
            lastShown = k;
            printed++;
        }
        if (printed >= MAX_LINES) {
            out.append("... (diff truncated)\n");
        }
        return out.toString();
    }

    private static boolean near(List<String> ops, int k) {
        for (int d = Math.max(0, k - CONTEXT); d <= Math.min(ops.size() - 1, k + CONTEXT); d++) {
            if (ops.get(d).charAt(0) != ' ') {
                return true;
            }
        }
        return false;
    }
}
