package io.raftkv.bench.load.target;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * A server-side figure derived from how much two counters of one member grew during a cell: {@code scale ×
 * Δnumerator ÷ Δdenominator} (for example entries per fsync, or mean fsync time from a sum and a count).
 *
 * @param name        what the report calls it, e.g. "entries per fsync"
 * @param numerator   the counter on top (dotted path as in {@link NodeSnapshot#counters()})
 * @param denominator the counter below
 * @param scale       a factor for units (1 for plain ratios; 1e-6 for nanoseconds to milliseconds)
 */
public record ServerFigure(String name, String numerator, String denominator, double scale) {

    public ServerFigure {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(numerator, "numerator");
        Objects.requireNonNull(denominator, "denominator");
    }

    /**
     * The figure over the interval between two readings of one member's counters; empty when a counter is missing
     * from either reading or the denominator did not grow.
     */
    public OptionalDouble between(Map<String, Double> before, Map<String, Double> after) {
        Double n0 = before.get(numerator);
        Double n1 = after.get(numerator);
        Double d0 = before.get(denominator);
        Double d1 = after.get(denominator);
        if (n0 == null || n1 == null || d0 == null || d1 == null || d1 - d0 <= 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(scale * (n1 - n0) / (d1 - d0));
    }
}
