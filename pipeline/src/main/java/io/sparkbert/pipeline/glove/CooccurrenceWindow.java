package io.sparkbert.pipeline.glove;

import java.io.Serializable;

/**
 * The co-occurrence rule of GloVe's cooccur.c (docs/design.md §4) for one line: each in-vocabulary word
 * (target, id w2) pairs with each of the previous {@code window} in-vocabulary words of the line
 * (context, id w1) at distance d, adding 1/d (or 1 without distance weighting) to X[w1, w2], and with
 * symmetric context also to X[w2, w1]. Out-of-vocabulary words were removed before, so they take no
 * position; a word repeated within the window pairs with itself (twice when symmetric, as in C).
 *
 * <p>Weights are counted exactly, as integers in units of 1/L where L = lcm(1..window): 1/d is
 * L/d units. Sums of integers do not depend on their order, so the result is the exact rational
 * co-occurrence, the same whatever the partitioning; cooccur.c's double sums differ from it only in
 * the last bits (relative ~1e-15). L fits comfortably for windows up to 20 (lcm = 232,792,560).
 */
public final class CooccurrenceWindow implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final int MAX_WINDOW = 20;

    /** Receives pair increments. */
    @FunctionalInterface
    public interface PairSink {
        void add(int word1, int word2, long units);
    }

    private final int window;
    private final boolean symmetric;
    private final long scale;
    private final long[] unitsAtDistance;

    public CooccurrenceWindow(int window, boolean symmetric, boolean distanceWeighting) {
        if (window < 1 || window > MAX_WINDOW) {
            throw new IllegalArgumentException("window must be in [1, " + MAX_WINDOW + "]: " + window);
        }
        this.window = window;
        this.symmetric = symmetric;
        this.scale = distanceWeighting ? lcm(window) : 1;
        this.unitsAtDistance = new long[window + 1];
        for (int d = 1; d <= window; d++) {
            unitsAtDistance[d] = distanceWeighting ? scale / d : 1;
        }
    }

    /** lcm(1..n). */
    static long lcm(int n) {
        long l = 1;
        for (int i = 2; i <= n; i++) {
            l = l / gcd(l, i) * i;
        }
        return l;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** Units per 1.0 of co-occurrence weight: a value is units / scale. */
    public long scale() {
        return scale;
    }

    /** Context words on each side. */
    public int window() {
        return window;
    }

    public boolean symmetric() {
        return symmetric;
    }

    /** Counts the pairs of one line, given as the ids of its in-vocabulary words in order. */
    public void count(int[] ids, int n, PairSink sink) {
        countOneWay(ids, n, symmetric ? (w1, w2, units) -> {
            sink.add(w1, w2, units);
            sink.add(w2, w1, units);
        } : sink);
    }

    /**
     * Counts each (context, target) pair of one line once, without symmetric context's mirrored pair:
     * for a sink that adds both X[w1, w2] and X[w2, w1] itself (the matrix is symmetric, so it can count
     * half of it and mirror it at the end).
     */
    public void countOneWay(int[] ids, int n, PairSink sink) {
        for (int j = 0; j < n; j++) {
            int w2 = ids[j];
            for (int k = j - 1; k >= Math.max(0, j - window); k--) {
                sink.add(ids[k], w2, unitsAtDistance[j - k]);
            }
        }
    }
}
