package io.sparkbert.pipeline.samples;

import java.io.Serializable;

/**
 * How pretraining samples are made (docs/design.md §3); the defaults are Google's create_pretraining_data.py.
 *
 * @param maxSeqLength         tokens per sample including [CLS] and the two [SEP] (model maximum 512)
 * @param maxPredictionsPerSeq cap on masked positions per sample
 * @param maskedLmProb         share of a sample's tokens to mask
 * @param shortSeqProb         probability of a shorter random target length
 * @param dupeFactor           static copies of the corpus, each with different pairs and masks
 * @param wholeWordMask        mask all pieces of a word together
 * @param truncation           how a single sentence longer than a sample is cut before pairing
 * @param seed                 the run's seed; every random choice derives from it
 */
public record SampleConfig(int maxSeqLength, int maxPredictionsPerSeq, double maskedLmProb, double shortSeqProb,
                           int dupeFactor, boolean wholeWordMask, Truncation truncation, long seed)
        implements Serializable {

    /** How an over-long single text is cut to fit (docs/design.md §3.2). */
    public enum Truncation {
        /** keep the first tokens */
        HEAD,
        /** keep the last tokens */
        TAIL,
        /** keep the first quarter and the last three quarters (128 + 382 of 510) */
        HEAD_TAIL
    }

    public static final int MODEL_MAX_SEQ_LENGTH = 512;

    public SampleConfig {
        if (maxSeqLength < 5 || maxSeqLength > MODEL_MAX_SEQ_LENGTH) {
            throw new IllegalArgumentException("max-seq-length must be in [5, " + MODEL_MAX_SEQ_LENGTH + "]: "
                    + maxSeqLength);
        }
        if (maxPredictionsPerSeq < 1 || maxPredictionsPerSeq > maxSeqLength) {
            throw new IllegalArgumentException("max-predictions must be in [1, max-seq-length]: "
                    + maxPredictionsPerSeq);
        }
        if (!(maskedLmProb > 0 && maskedLmProb < 1)) {
            throw new IllegalArgumentException("masked-lm-prob must be in (0, 1): " + maskedLmProb);
        }
        if (!(shortSeqProb >= 0 && shortSeqProb <= 1)) {
            throw new IllegalArgumentException("short-seq-prob must be in [0, 1]: " + shortSeqProb);
        }
        if (dupeFactor < 1) {
            throw new IllegalArgumentException("dupe-factor must be positive: " + dupeFactor);
        }
        if (truncation == null) {
            throw new IllegalArgumentException("truncation must be head, tail or head+tail");
        }
    }

    /** Google's defaults: 128 tokens, 20 predictions, 0.15, 0.1, 10 copies, seed 12345. */
    public static SampleConfig defaults() {
        return new SampleConfig(128, 20, 0.15, 0.1, 10, false, Truncation.HEAD, 12345L);
    }

    /** Room for segment tokens: max_seq_length minus [CLS] and two [SEP]. */
    public int maxNumTokens() {
        return maxSeqLength - 3;
    }
}
