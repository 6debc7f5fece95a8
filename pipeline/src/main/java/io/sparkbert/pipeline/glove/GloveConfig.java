package io.sparkbert.pipeline.glove;

import java.io.Serializable;

/**
 * The settings of a GloVe training run (docs/design.md §4), with glove.c's names and defaults.
 *
 * @param dim        vector size d (glove.c {@code -vector-size})
 * @param iterations passes over the non-zero entries ({@code -iter})
 * @param xMax       cut-off of the weighting function f ({@code -x-max}, 100)
 * @param alpha      exponent of f ({@code -alpha}, 0.75)
 * @param eta        AdaGrad learning rate ({@code -eta}, 0.05)
 * @param gradClip   each component of a word-vector gradient is clipped to [-gradClip, gradClip]
 *                   ({@code -grad-clip}, 100)
 * @param seed       seeds the initial parameters and the one-time shuffle of the entries
 * @param partitions partitions of the entries, i.e. models averaged per iteration (0 = Spark's
 *                   default parallelism); part of the result's identity together with the seed
 */
public record GloveConfig(int dim, int iterations, double xMax, double alpha, double eta, double gradClip,
                          long seed, int partitions) implements Serializable {
    public static final int DEFAULT_DIM = 100;
    public static final int DEFAULT_ITERATIONS = 15;
    public static final double DEFAULT_X_MAX = 100.0;
    public static final double DEFAULT_ALPHA = 0.75;
    public static final double DEFAULT_ETA = 0.05;
    public static final double DEFAULT_GRAD_CLIP = 100.0;

    public GloveConfig {
        require(dim > 0, "dim must be positive, got " + dim);
        require(iterations >= 0, "iterations must be >= 0, got " + iterations);
        require(xMax > 0 && Double.isFinite(xMax), "x-max must be a positive number, got " + xMax);
        require(alpha >= 0 && Double.isFinite(alpha), "alpha must be >= 0, got " + alpha);
        require(eta > 0 && Double.isFinite(eta), "eta must be a positive number, got " + eta);
        require(gradClip > 0, "the gradient clip must be positive, got " + gradClip);
        require(partitions >= 0, "partitions must be >= 0, got " + partitions);
    }

    /** glove.c's defaults except the vector size (100 here, 50 there) and iterations (15 here, 25 there). */
    public static GloveConfig defaults(long seed) {
        return new GloveConfig(DEFAULT_DIM, DEFAULT_ITERATIONS, DEFAULT_X_MAX, DEFAULT_ALPHA, DEFAULT_ETA,
                DEFAULT_GRAD_CLIP, seed, 0);
    }

    public GloveConfig withDim(int newDim) {
        return new GloveConfig(newDim, iterations, xMax, alpha, eta, gradClip, seed, partitions);
    }

    public GloveConfig withIterations(int newIterations) {
        return new GloveConfig(dim, newIterations, xMax, alpha, eta, gradClip, seed, partitions);
    }

    public GloveConfig withSeed(long newSeed) {
        return new GloveConfig(dim, iterations, xMax, alpha, eta, gradClip, newSeed, partitions);
    }

    public GloveConfig withPartitions(int newPartitions) {
        return new GloveConfig(dim, iterations, xMax, alpha, eta, gradClip, seed, newPartitions);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
