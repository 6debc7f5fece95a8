package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark corpus: deterministic, and with the statistics it claims. */
class SyntheticCorpusTest {
    @Test
    void sameBytesForTheSameSeedAndEnglishLikeStatistics() throws Exception {
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        SyntheticCorpus.Stats stats = new SyntheticCorpus(50_000, 42).write(a, 2_000_000);
        new SyntheticCorpus(50_000, 42).write(b, 2_000_000);
        assertArrayEquals(a.toByteArray(), b.toByteArray());
        assertEquals(a.size(), stats.bytes());
        assertTrue(stats.bytes() >= 2_000_000 && stats.bytes() < 2_010_000, "whole lines up to the size");

        String text = a.toString(StandardCharsets.US_ASCII);
        assertTrue(text.endsWith("\n"));
        Map<String, Integer> counts = new HashMap<>();
        long tokens = 0;
        for (String line : text.split("\n")) {
            for (String word : line.split(" ")) {
                counts.merge(word, 1, Integer::sum);
                tokens++;
            }
        }
        assertEquals(stats.tokens(), tokens);
        assertEquals(text.split("\n").length, stats.lines());
        double bytesPerToken = (double) stats.bytes() / tokens;
        assertTrue(bytesPerToken > 5.6 && bytesPerToken < 6.6, "bytes per token " + bytesPerToken);
        double tokensPerLine = (double) tokens / stats.lines();
        assertTrue(tokensPerLine > 40 && tokensPerLine < 90, "tokens per line " + tokensPerLine);
        // Zipf: the most frequent type takes a few percent of the tokens, and many types are rare
        int top = counts.values().stream().max(Integer::compare).orElseThrow();
        assertTrue(top > tokens * 0.02 && top < tokens * 0.15, "top type " + top + " of " + tokens);
        long rare = counts.values().stream().filter(c -> c < 5).count();
        assertTrue(rare > counts.size() / 2, rare + " of " + counts.size() + " types seen fewer than 5 times");
        // word forms are distinct per rank
        SyntheticCorpus corpus = new SyntheticCorpus(50_000, 42);
        HashSet<String> forms = new HashSet<>();
        for (int r = 0; r < corpus.types(); r++) {
            forms.add(corpus.word(r));
        }
        assertEquals(corpus.types(), forms.size());
    }
}
