package io.sparkbert.pipeline.samples;

import java.io.Serializable;

/**
 * One pretraining sample with exactly the columns of docs/design.md §3.4 (Google's tf.train.Example features),
 * padded to fixed lengths, plus what the report needs to know about how it was made.
 *
 * @param inputIds          [CLS] A [SEP] B [SEP], masked, then [PAD]: max_seq_length ids
 * @param tokenTypeIds      0 for [CLS] A [SEP], 1 for B [SEP], 0 on padding
 * @param attentionMask     1 on real tokens, 0 on padding
 * @param maskedLmPositions positions predicted, ascending, then 0: max_predictions ids
 * @param maskedLmIds       original ids at those positions, then 0
 * @param maskedLmWeights   1.0 for real predictions, then 0.0
 * @param nextSentenceLabel 0 IsNext, 1 NotNext (random B)
 * @param length            real tokens (before padding)
 * @param order             a pseudo-random key, derived from the seed and the sample's identity, that
 *                          places the sample in a shard and orders it there
 */
public record TrainingSample(int[] inputIds, int[] tokenTypeIds, int[] attentionMask, int[] maskedLmPositions,
                             int[] maskedLmIds, float[] maskedLmWeights, int nextSentenceLabel, int length,
                             int maskCount, int randomCount, int keepCount, long order) implements Serializable {
    public static final int IS_NEXT = 0;
    public static final int NOT_NEXT = 1;

    /** input_ids with the masked positions restored to their original ids, padding cut: the pair as it was. */
    public int[] unmaskedTokens() {
        int real = 0;
        for (int a : attentionMask) {
            real += a;
        }
        int[] tokens = java.util.Arrays.copyOf(inputIds, real);
        for (int i = 0; i < maskedLmPositions.length; i++) {
            if (maskedLmWeights[i] > 0) {
                tokens[maskedLmPositions[i]] = maskedLmIds[i];
            }
        }
        return tokens;
    }
}
