package io.sparkbert.pipeline.samples;

import java.util.Arrays;

/**
 * The result of masking one sample (docs/design.md §3.3): the tokens the model sees, and what it must predict.
 *
 * <p>The arrays are owned by this record and are not copied (samples are made by the million);
 * do not modify them. {@link #equals}, {@link #hashCode} and {@link #toString} compare and print
 * array contents, so two samples made from the same seed are equal.
 *
 * @param tokens      the sample after masking ({@code [CLS] A [SEP] B [SEP]}, same length as the input)
 * @param positions   the predicted positions, ascending (Google's {@code masked_lm_positions})
 * @param labels      the original token id at each position (Google's {@code masked_lm_labels})
 * @param maskCount   positions replaced by {@code [MASK]} (the 80% branch)
 * @param randomCount positions replaced by a random real token (the 10% branch; the draw may
 *                    happen to return the original token, which still counts here, as in Google)
 * @param keepCount   positions left unchanged (the other 10% branch)
 */
public record MaskedSample(int[] tokens, int[] positions, int[] labels, int maskCount, int randomCount,
                           int keepCount) {

    public MaskedSample {
        if (tokens == null || positions == null || labels == null) {
            throw new IllegalArgumentException("tokens, positions and labels are required");
        }
        if (positions.length != labels.length) {
            throw new IllegalArgumentException("positions and labels differ in length: " + positions.length
                    + " vs " + labels.length);
        }
        if (maskCount < 0 || randomCount < 0 || keepCount < 0
                || maskCount + randomCount + keepCount != positions.length) {
            throw new IllegalArgumentException("mask/random/keep counts " + maskCount + "/" + randomCount + "/"
                    + keepCount + " do not add up to " + positions.length + " predictions");
        }
    }

    /** Number of masked-LM predictions in this sample. */
    public int predictionCount() {
        return positions.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MaskedSample that
                && Arrays.equals(tokens, that.tokens)
                && Arrays.equals(positions, that.positions)
                && Arrays.equals(labels, that.labels)
                && maskCount == that.maskCount
                && randomCount == that.randomCount
                && keepCount == that.keepCount;
    }

    @Override
    public int hashCode() {
        int h = Arrays.hashCode(tokens);
        h = 31 * h + Arrays.hashCode(positions);
        h = 31 * h + Arrays.hashCode(labels);
        h = 31 * h + maskCount;
        h = 31 * h + randomCount;
        return 31 * h + keepCount;
    }

    @Override
    public String toString() {
        return "MaskedSample[tokens=" + Arrays.toString(tokens) + ", positions=" + Arrays.toString(positions)
                + ", labels=" + Arrays.toString(labels) + ", mask/random/keep=" + maskCount + "/" + randomCount
                + "/" + keepCount + "]";
    }
}
