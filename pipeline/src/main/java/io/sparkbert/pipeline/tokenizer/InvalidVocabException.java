package io.sparkbert.pipeline.tokenizer;

/** A vocabulary file that cannot be used: missing, empty, duplicated entries, no special tokens. */
public class InvalidVocabException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidVocabException(String message) {
        super(message);
    }
}
