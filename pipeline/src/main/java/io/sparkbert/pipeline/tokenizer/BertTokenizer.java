package io.sparkbert.pipeline.tokenizer;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's WordPiece tokenizer as a chain of stages: {@link BertNormalizer} → {@link BertPreTokenizer}
 * → {@link WordPiece}. Produces the same ids as HuggingFace's BertTokenizer / tokenizers for the
 * same vocab.txt and casing (without [CLS]/[SEP]; callers add those). Thread-safe.
 */
public final class BertTokenizer implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Vocab vocab;
    private final BertNormalizer normalizer;
    private final BertPreTokenizer preTokenizer;
    private final WordPiece wordPiece;
    private transient ThreadLocal<StringBuilder> scratch;

    public BertTokenizer(Vocab vocab, boolean uncased) {
        this(vocab, new BertNormalizer(uncased), new BertPreTokenizer(), new WordPiece(vocab));
    }

    public BertTokenizer(Vocab vocab, BertNormalizer normalizer, BertPreTokenizer preTokenizer, WordPiece wordPiece) {
        this.vocab = vocab;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.wordPiece = wordPiece;
    }

    private StringBuilder scratch() {
        if (scratch == null) {
            scratch = ThreadLocal.withInitial(() -> new StringBuilder(256));
        }
        return scratch.get();
    }

    /** Appends the ids of {@code text} to {@code out}. */
    public void encode(CharSequence text, IntList out) {
        StringBuilder normalized = scratch();
        normalizer.normalize(text, normalized);
        preTokenizer.split(normalized, (t, start, end) -> wordPiece.encode(t, start, end, out));
    }

    public int[] encode(CharSequence text) {
        IntList out = new IntList();
        encode(text, out);
        return out.toArray();
    }

    /** The wordpieces of {@code text} as strings, for inspection. */
    public List<String> tokenize(CharSequence text) {
        List<String> pieces = new ArrayList<>();
        for (int id : encode(text)) {
            pieces.add(vocab.token(id));
        }
        return pieces;
    }

    public Vocab vocab() {
        return vocab;
    }

    public boolean uncased() {
        return normalizer.uncased();
    }
}
