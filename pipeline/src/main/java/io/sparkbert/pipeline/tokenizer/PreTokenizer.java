package io.sparkbert.pipeline.tokenizer;

import java.io.Serializable;

/**
 * Stage 2 of a tokenizer: normalised text into words, reported as char ranges of the text so nothing is
 * copied, as HuggingFace tokenizers' {@code PreTokenizer}. {@link BertPreTokenizer} is BERT's.
 */
public interface PreTokenizer extends Serializable {

    /** Receives each word as a range of the text. */
    @FunctionalInterface
    interface WordSink {
        void word(CharSequence text, int start, int end);
    }

    /** Reports the words of {@code text}, in order, to {@code sink}. */
    void split(CharSequence text, WordSink sink);
}
