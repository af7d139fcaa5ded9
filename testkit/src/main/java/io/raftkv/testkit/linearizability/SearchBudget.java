package io.raftkv.testkit.linearizability;

import java.time.Duration;

/**
 * How much one register search may do before it answers "unknown".
 *
 * @param maxStates the most distinct (operations done, value) states it may remember
 * @param deadlineNanos {@link System#nanoTime()} after which it gives up; {@link Long#MAX_VALUE} for never
 */
record SearchBudget(long maxStates, long deadlineNanos) {

    /** A deadline this long from now; {@link Long#MAX_VALUE} (never) if it does not fit in a long. */
    static long deadlineAfter(Duration limit) {
        long nanos;
        try {
            nanos = limit.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
        return deadlineAfter(nanos);
    }

    /** A deadline {@code nanos} from now, saturating instead of overflowing. */
    static long deadlineAfter(long nanos) {
        long now = System.nanoTime();
        long deadline = now + nanos;
        return nanos > 0 && deadline < now ? Long.MAX_VALUE : deadline;
    }

    /** Whether {@code now} (a {@link System#nanoTime()} reading) is past the deadline. */
    boolean expired(long now) {
        return deadlineNanos != Long.MAX_VALUE && now - deadlineNanos > 0;
    }
}
