package io.sparkbert.pipeline;

import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * One seed per test run, Lucene's habit: randomized tests draw their cases from it, so every run explores new
 * inputs instead of the same fixed sweep, and {@code -Dtests.seed=HEX} replays a run exactly. A test class
 * registered with {@code @ExtendWith(TestSeed.class)} names the seed in every failure.
 */
public final class TestSeed implements TestExecutionExceptionHandler {

    /** This run's seed: {@code -Dtests.seed=HEX} or a random one. */
    public static final long SEED = System.getProperty("tests.seed") != null
            ? Long.parseUnsignedLong(System.getProperty("tests.seed"), 16) : new SplittableRandom().nextLong();

    /** How to replay this run. */
    public static String replay() {
        String hex = Long.toHexString(SEED);
        return "seed " + hex + " (replay with -Dtests.seed=" + hex + ")";
    }

    /** A seed for one purpose (a sweep, a generator), derived from the run's seed and the purpose's name. */
    public static long seed(String purpose) {
        return new SplittableRandom(SEED ^ (purpose.hashCode() * 0x9E3779B97F4A7C15L)).nextLong();
    }

    /** {@code n} seeds for a sweep of cases, derived from the run's seed and the sweep's name. */
    public static long[] seeds(String sweep, int n) {
        SplittableRandom random = new SplittableRandom(seed(sweep));
        long[] seeds = new long[n];
        for (int i = 0; i < n; i++) {
            seeds[i] = random.nextLong();
        }
        return seeds;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        if (failure instanceof TestAbortedException) {
            throw failure;
        }
        throw new AssertionError(replay() + ": " + failure, failure);
    }
}
