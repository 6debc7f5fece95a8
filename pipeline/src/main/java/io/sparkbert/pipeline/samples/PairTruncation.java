package io.sparkbert.pipeline.samples;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Google's {@code truncate_seq_pair}, kept apart from {@link PairBuilder} because for a random next
 * segment B is only known after the {@link RandomSpan} is resolved on the target document.
 *
 * <p>The algorithm is Google's, step for step: while {@code len(a) + len(b) > maxNumTokens}, take the
 * longer segment ({@code tokens_a if len(tokens_a) > len(tokens_b) else tokens_b}, so on a tie B), assert
 * it is not empty, and remove one token from its front if {@code rng.random() < 0.5}, else from its back.
 * One {@code nextDouble()} is drawn per removed token, nothing otherwise. Afterwards both segments must
 * hold at least one token, as Google asserts right after its call.
 *
 * <p>The only difference is where the randomness comes from: Google's single global rng; here a
 * {@link SeededRandom} the caller seeds from the sample's identity (seed, document, dupe, instance and a
 * purpose of its own), so the result does not depend on partitioning.
 */
public final class PairTruncation {

    private PairTruncation() {
    }

    /**
     * The truncated pair.
     *
     * @param a segment A, at most as long as the input
     * @param b segment B, at most as long as the input
     */
    public record Pair(int[] a, int[] b) implements Serializable {
        /** Tokens in both segments. */
        public int length() {
            return a.length + b.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pair other && Arrays.equals(a, other.a) && Arrays.equals(b, other.b);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(a) + Arrays.hashCode(b);
        }

        @Override
        public String toString() {
            return "Pair[a=" + Arrays.toString(a) + ", b=" + Arrays.toString(b) + "]";
        }
    }

    /**
     * Trims {@code a} and {@code b} until together they hold at most {@code maxNumTokens} tokens (Google's
     * {@code truncate_seq_pair}). The inputs are never modified; an input that needs no trimming is
     * returned as is.
     *
     * @throws IllegalStateException where Google's asserts fail: the segment to trim is empty (only with
     *                               a negative budget), or A or B is empty afterwards (an empty input, or
     *                               a budget below 2)
     */
    public static Pair truncate(int[] a, int[] b, int maxNumTokens, SeededRandom rng) {
        int aStart = 0;
        int aEnd = a.length;
        int bStart = 0;
        int bEnd = b.length;
        while ((aEnd - aStart) + (bEnd - bStart) > maxNumTokens) {
            boolean trimA = (aEnd - aStart) > (bEnd - bStart);
            int length = trimA ? aEnd - aStart : bEnd - bStart;
            if (length < 1) {
                throw new IllegalStateException("nothing left to truncate for a budget of " + maxNumTokens);
            }
            boolean front = rng.nextDouble() < 0.5;
            if (trimA) {
                if (front) {
                    aStart++;
                } else {
                    aEnd--;
                }
            } else {
                if (front) {
                    bStart++;
                } else {
                    bEnd--;
                }
            }
        }
        if (aEnd - aStart < 1 || bEnd - bStart < 1) {
            throw new IllegalStateException("a segment is empty after truncation: A " + (aEnd - aStart)
                    + " tokens, B " + (bEnd - bStart) + " tokens, budget " + maxNumTokens);
        }
        int[] outA = aStart == 0 && aEnd == a.length ? a : Arrays.copyOfRange(a, aStart, aEnd);
        int[] outB = bStart == 0 && bEnd == b.length ? b : Arrays.copyOfRange(b, bStart, bEnd);
        return new Pair(outA, outB);
    }
}
