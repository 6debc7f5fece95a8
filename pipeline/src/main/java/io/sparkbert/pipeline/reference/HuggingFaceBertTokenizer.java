package io.sparkbert.pipeline.reference;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.tokenizer.WordPiece;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The reference peer: HuggingFace's Rust tokenizers (through DJL's JNI binding, offline), set up
 * as a BERT WordPiece tokenizer for a given vocab.txt and casing. Used by the agreement tests and by
 * {@code bench tokenize}; it is never on the cluster classpath.
 *
 * <p>The tokenizer.json is written here from the vocabulary rather than taken from a model hub, with
 * no "added tokens": HuggingFace would otherwise match literal "[MASK]" text in a corpus as the
 * special token, while BERT's own data pipeline (and ours) treats corpus text as text.
 */
public final class HuggingFaceBertTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    /** The corpus-text tokenizer: no added tokens, no post-processor. */
    public HuggingFaceBertTokenizer(Vocab vocab, boolean uncased) {
        this(vocab, uncased, false);
    }

    /**
     * As {@code BertTokenizerFast.from_pretrained} sets it up for queries when {@code queries}: BERT's five
     * special tokens as added tokens (a literal "[MASK]" in the text is the mask) and the {@code BertProcessing}
     * post-processor ([CLS] A [SEP] B [SEP], type ids 0/1).
     */
    public HuggingFaceBertTokenizer(Vocab vocab, boolean uncased, boolean queries) {
        try {
            Path json = Files.createTempFile("sparkbert-hf-tokenizer", ".json");
            try {
                writeTokenizerJson(vocab, uncased, queries, json);
                tokenizer = HuggingFaceTokenizer.newInstance(json,
                        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            } finally {
                Files.deleteIfExists(json);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the HuggingFace reference tokenizer", e);
        }
    }

    /** A tokenizer.json equivalent to {@code BertTokenizerFast(vocab, do_lower_case=uncased)} (see the constructors). */
    public static void writeTokenizerJson(Vocab vocab, boolean uncased, boolean queries, Path out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        var added = root.putArray("added_tokens");
        if (queries) {
            for (String special : Vocab.SPECIAL_TOKENS) {
                ObjectNode token = added.addObject();
                token.put("id", vocab.id(special));
                token.put("content", special);
                token.put("single_word", false);
                token.put("lstrip", false);
                token.put("rstrip", false);
                token.put("normalized", false);
                token.put("special", true);
            }
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "BertNormalizer");
        normalizer.put("clean_text", true);
        normalizer.put("handle_chinese_chars", true);
        normalizer.putNull("strip_accents"); // follows lowercase, as in BertTokenizerFast
        normalizer.put("lowercase", uncased);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        if (queries) {
            ObjectNode post = root.putObject("post_processor");
            post.put("type", "BertProcessing");
            post.putArray("sep").add(Vocab.SEP).add(vocab.sepId());
            post.putArray("cls").add(Vocab.CLS).add(vocab.clsId());
        } else {
            root.putNull("post_processor");
        }
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece");
        model.put("unk_token", Vocab.UNK);
        model.put("continuing_subword_prefix", Vocab.CONTINUATION_PREFIX);
        model.put("max_input_chars_per_word", WordPiece.DEFAULT_MAX_INPUT_CHARS_PER_WORD);
        ObjectNode ids = model.putObject("vocab");
        List<String> tokens = vocab.tokens();
        for (int id = 0; id < tokens.size(); id++) {
            ids.put(tokens.get(id), id);
        }
        json.writeValue(out.toFile(), root);
    }

    public int[] encode(String text) {
        return toInts(tokenizer.encode(text, false, false).getIds());
    }

    /** A query with special tokens: {ids, type ids} of text alone ({@code textPair} null) or of the pair. */
    public int[][] encodeQuery(String text, String textPair) {
        Encoding e = textPair == null ? tokenizer.encode(text, true, false) : tokenizer.encode(text, textPair, true, false);
        return new int[][] {toInts(e.getIds()), toInts(e.getTypeIds())};
    }

    /** Encodes many lines in one native call (HuggingFace parallelises batches over its own threads). */
    public int[][] encodeBatch(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts, false, false);
        int[][] ids = new int[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            ids[i] = toInts(encodings[i].getIds());
        }
        return ids;
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
