package io.sparkbert.pipeline.tokenizer;

import java.io.Serializable;

/**
 * Stage 1 of a tokenizer: text in, normalised text out (cleaning, casing, accents), as HuggingFace
 * tokenizers' {@code Normalizer}. {@link BertNormalizer} is BERT's.
 */
public interface TextNormalizer extends Serializable {

    /** Writes the normalised form of {@code text} into {@code out}, which is cleared first. */
    void normalize(CharSequence text, StringBuilder out);
}
