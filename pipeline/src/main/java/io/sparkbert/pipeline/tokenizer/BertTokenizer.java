package io.sparkbert.pipeline.tokenizer;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A tokenizer as a chain of four stages, as HuggingFace tokenizers' pipeline: {@link TextNormalizer} →
 * {@link PreTokenizer} → {@link SubwordModel} → {@link PostProcessor}. The BERT chain ({@link BertNormalizer},
 * {@link BertPreTokenizer}, {@link WordPiece}, {@link BertPostProcessor}) produces the same ids as
 * HuggingFace's BertTokenizer for the same vocab.txt and casing; any stage can be swapped through the
 * four-stage constructor. Thread-safe.
 *
 * <p>Two kinds of input, two entry points:
 * <ul>
 *   <li>corpus text ({@link #encode}): ids without framing; a literal {@code [MASK]} in the text is text
 *       ({@code [}, {@code mask}, {@code ]}), as in Google's create_pretraining_data.py;</li>
 *   <li>queries ({@link #encodeQuery}: fill-mask, infer): framed by the post-processor, and a literal special
 *       token ({@code [MASK]}, but also {@code [CLS]}, {@code [SEP]}, {@code [UNK]}, {@code [PAD]}) is that
 *       token, as HuggingFace's BertTokenizerFast matches its added special tokens before normalising.</li>
 * </ul>
 */
public final class BertTokenizer implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The special tokens as they are written in a query. */
    private static final Pattern SPECIAL_LITERAL = Pattern.compile(
            Vocab.SPECIAL_TOKENS.stream().map(Pattern::quote).collect(Collectors.joining("|")));

    private final Vocab vocab;
    private final TextNormalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final SubwordModel model;
    private final PostProcessor postProcessor;
    private transient ThreadLocal<StringBuilder> scratch;

    /** BERT's chain: uncased strips accents and lowercases. */
    public BertTokenizer(Vocab vocab, boolean uncased) {
        this(vocab, new BertNormalizer(uncased), new BertPreTokenizer(), new WordPiece(vocab),
                new BertPostProcessor(vocab));
    }

    public BertTokenizer(Vocab vocab, TextNormalizer normalizer, PreTokenizer preTokenizer, SubwordModel model,
                         PostProcessor postProcessor) {
        this.vocab = vocab;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
    }

    private StringBuilder scratch() {
        if (scratch == null) {
            scratch = ThreadLocal.withInitial(() -> new StringBuilder(256));
        }
        return scratch.get();
    }

    /** Appends the ids of {@code text} (corpus text: no framing, no special tokens) to {@code out}. */
    public void encode(CharSequence text, IntList out) {
        StringBuilder normalized = scratch();
        normalizer.normalize(text, normalized);
        preTokenizer.split(normalized, (t, start, end) -> model.encode(t, start, end, out));
    }

    public int[] encode(CharSequence text) {
        IntList out = new IntList();
        encode(text, out);
        return out.toArray();
    }

    /**
     * A query, framed: {@code textA} alone ({@code textB} null) or the pair, each literal special token (such
     * as {@code [MASK]}) that token.
     */
    public PostProcessor.Encoding encodeQuery(String textA, String textB) {
        return postProcessor.frame(encodeWithSpecials(textA), textB == null ? null : encodeWithSpecials(textB));
    }

    private int[] encodeWithSpecials(String text) {
        IntList ids = new IntList();
        Matcher special = SPECIAL_LITERAL.matcher(text);
        int from = 0;
        while (special.find()) {
            encode(text.substring(from, special.start()), ids);
            ids.add(vocab.id(special.group()));
            from = special.end();
        }
        encode(text.substring(from), ids);
        return ids.toArray();
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

    public PostProcessor postProcessor() {
        return postProcessor;
    }
}
