package io.sparkbert.model;

import java.util.Arrays;

import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Shape checks at the boundaries of the model classes, as {@code assert_rank} in Google's modeling.py: a wrong
 * parameter or input shape fails while the graph is built, naming the variable, instead of deep inside an op at
 * the first step. SameDiff knows the static shape of parameters, constants and placeholders (a placeholder's free
 * batch axis is -1); an op's output has none until it runs, so it is not checked here.
 */
final class Shapes {

    /** Any size along this axis. */
    static final long ANY = -1;

    private Shapes() {
    }

    /**
     * Requires {@code v} to have {@code expected.length} axes, each the expected size ({@link #ANY} or a -1 in
     * {@code v}'s static shape matches any size). A variable without a static shape passes.
     *
     * @param what the name used in the error, with the expected layout, e.g. "x [B, S, H]"
     */
    static void require(SDVariable v, String what, long... expected) {
        long[] shape = v.getShape();
        if (shape == null) {
            return;
        }
        boolean matches = shape.length == expected.length;
        for (int i = 0; matches && i < expected.length; i++) {
            matches = expected[i] == ANY || shape[i] == -1 || shape[i] == expected[i];
        }
        if (!matches) {
            throw new IllegalArgumentException(what + " must have shape " + describe(expected) + ", but '" + v.name()
                    + "' has " + Arrays.toString(shape));
        }
    }

    private static String describe(long[] expected) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < expected.length; i++) {
            s.append(i > 0 ? ", " : "").append(expected[i] == ANY ? "any" : Long.toString(expected[i]));
        }
        return s.append(']').toString();
    }
}
