package io.sparkbert.pipeline.tokenizer;

import java.io.Serializable;

/**
 * Stage 4 of a tokenizer: the ids of one text, or of a pair, framed as the model takes them (special tokens
 * and segment ids), as HuggingFace tokenizers' {@code PostProcessor}. {@link BertPostProcessor} is BERT's.
 */
public interface PostProcessor extends Serializable {

    /** Ids and segment (token type) ids of a framed sequence; both arrays have the same length. */
    record Encoding(int[] ids, int[] typeIds) {
        public int length() {
            return ids.length;
        }
    }

    /** Frames {@code a} alone ({@code b} null) or the pair (a, b). */
    Encoding frame(int[] a, int[] b);

    /** How many tokens framing adds: to a single sequence, or to a pair. */
    int addedTokens(boolean pair);
}
