package io.raftkv.core.quorum;

import java.util.Arrays;

/**
 * Majority arithmetic over the voters' values: the highest value that at least a majority of voters has
 * reached. Used for the commit index (over match indices) and for read barriers (over acknowledged rounds).
 */
public final class MajorityQuorum {

    private MajorityQuorum() {
    }

    /**
     * The largest {@code v} such that a majority of {@code values} is {@code >= v}. Sorts {@code values} in
     * place (callers pass a scratch array).
     */
    public static long agreedValue(long[] values, int count) {
        if (count == 0) {
            return 0;
        }
        Arrays.sort(values, 0, count);
        // Ascending order: the majority's smallest value sits at count - quorum.
        return values[count - (count / 2 + 1)];
    }
}
