package io.sparkbert.jobs.bench;

import java.util.Arrays;

/** The one median of the benchmarks (model's and the {@code bench} commands'). */
public final class Median {
    private Median() {
    }

    /** The median of the values (the mean of the middle two for an even count); the values are not changed. */
    public static double of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("the median of no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
