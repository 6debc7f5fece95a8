package io.sparkbert.pipeline.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BertTokenizerTest {
    private static final Vocab VOCAB = Vocab.of(List.of(
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cafe", "was", "open", "##ed", "un", "##open",
            ",", "!", "中", "文", "[", "]", "mask"));

    @Test
    void chainsTheStages() {
        BertTokenizer uncased = new BertTokenizer(VOCAB, true);
        assertEquals(List.of("the", "cafe", "was", "un", "##open", "##ed", "!"),
                uncased.tokenize("The  Café\twas UNOPENED!"));
        assertEquals(List.of("中", "文", ",", "[UNK]"), uncased.tokenize("中文, xyz"));
        // literal special-token text in a corpus is text, not a special token
        assertEquals(List.of("[", "mask", "]"), uncased.tokenize("[MASK]"));
        assertEquals(List.of(), uncased.tokenize(""));
    }

    @Test
    void casedKeepsCaseAndAccents() {
        BertTokenizer cased = new BertTokenizer(VOCAB, false);
        assertEquals(List.of("the", "[UNK]", "[UNK]"), cased.tokenize("the Café The"));
    }

    @Test
    void isSafeToShareBetweenThreads() throws Exception {
        BertTokenizer tokenizer = new BertTokenizer(VOCAB, true);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            lines.add(i % 2 == 0 ? "The café was opened, " + i : "中文 unopened! " + "x".repeat(i % 7));
        }
        List<List<String>> expected = lines.stream().map(tokenizer::tokenize).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<List<String>>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> lines.stream().map(tokenizer::tokenize).toList()));
            }
            for (Future<List<List<String>>> result : results) {
                assertEquals(expected, result.get());
            }
        } finally {
            pool.shutdown();
        }
    }
}
