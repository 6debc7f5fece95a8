package io.sparkbert.pipeline.tokenizer;

import java.io.Serializable;

/**
 * Stage 3 of a tokenizer: one word into vocabulary ids, as HuggingFace tokenizers' {@code Model}.
 * {@link WordPiece} is BERT's.
 */
public interface SubwordModel extends Serializable {

    /** Appends the ids of the pieces of the word {@code text[start, end)} to {@code out}. */
    void encode(CharSequence text, int start, int end, IntList out);
}
