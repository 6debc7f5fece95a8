package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GloveVocabularyTest {
    @Test
    void countDescendingTiesInGlovesByteOrderThenMinCount() {
        Map<String, Long> counts = Map.of("the", 9L, "b", 4L, "a", 4L, "B", 4L, GloveWords.fromUtf8("é"), 4L,
                "rare", 1L);
        GloveVocabulary vocab = GloveVocabulary.build(counts, 2, 0);
        // ties at 4: é (0xC3, negative as signed char) < B (66) < a (97) < b (98); "rare" is below min count
        assertEquals(List.of("the", GloveWords.fromUtf8("é"), "B", "a", "b"),
                vocab.entries().stream().map(GloveVocabulary.Entry::word).toList());
        assertEquals(1, vocab.id("the"));
        assertEquals(3, vocab.id("B"));
        assertEquals(0, vocab.id("rare"));
    }

    @Test
    void maxVocabKeepsTheMostFrequent() {
        GloveVocabulary vocab = GloveVocabulary.build(Map.of("a", 5L, "b", 3L, "c", 2L), 1, 2);
        assertEquals(List.of("a", "b"), vocab.entries().stream().map(GloveVocabulary.Entry::word).toList());
    }

    @Test
    void writesAndReadsVocabCountsFormatByteForByte() throws Exception {
        GloveVocabulary vocab = GloveVocabulary.build(Map.of("x", 3L, GloveWords.fromUtf8("naïve"), 2L), 1, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        vocab.write(out);
        assertEquals("x 3\nnaïve 2\n", out.toString(StandardCharsets.UTF_8));
        GloveVocabulary back = GloveVocabulary.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(vocab.entries(), back.entries());
    }
}
