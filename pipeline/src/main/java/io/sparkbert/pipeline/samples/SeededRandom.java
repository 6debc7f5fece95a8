package io.sparkbert.pipeline.samples;

/**
 * A small deterministic random generator (SplitMix64) whose stream depends only on its seed, never
 * on the JVM, the thread or the partition that runs it. Every random choice of sample generation
 * draws from a generator seeded with {@link #seed(long...)} of the run seed and the identity of what
 * is being generated (document, dupe index, instance, purpose), so the output does not depend on
 * partitioning, executors or task retries.
 */
public final class SeededRandom {
    private long state;

    public SeededRandom(long seed) {
        this.state = seed;
    }

    /** Mixes several values into one seed (each value goes through a full SplitMix64 round). */
    public static long seed(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long part : parts) {
            h = mix(h ^ mix(part + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, 1), like Python's random.random(). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return (int) nextLong(bound);
    }

    /** Uniform in [0, bound), without modulo bias. */
    public long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
        while (true) {
            long r = nextLong() >>> 1;
            if (r < limit) {
                return r % bound;
            }
        }
    }

    /** Uniform in [low, high] inclusive, like Python's random.randint(low, high). */
    public int nextIntInclusive(int low, int high) {
        return low + nextInt(high - low + 1);
    }

    /** Fisher-Yates shuffle of the first {@code length} values, like Python's random.shuffle. */
    public void shuffle(int[] values, int length) {
        for (int i = length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
    }
}
