package io.sparkbert.pipeline.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DocumentTest {

    private static SampleConfig config(int maxSeqLength, SampleConfig.Truncation truncation) {
        return new SampleConfig(maxSeqLength, 20, 0.15, 0.1, 10, false, truncation, 12345L);
    }

    /** Tokens from..to-1 (ids equal to their position in the 600-token sentence). */
    private static int[] range(int from, int to) {
        return IntStream.range(from, to).toArray();
    }

    private static int[][] longAndShort() {
        return new int[][] {range(0, 600), range(1000, 1010), range(2000, 2509)};
    }

    // The model maximum is max_seq_length 512 (SampleConfig rejects 513), so a sentence budget of exactly
    // 510 (Sun et al.'s 128 + 382) is checked on Document.truncate; truncateLongSentences uses the
    // config's max_num_tokens = 512 - 3 = 509.

    @Test
    void headKeepsTheFirstTokens() {
        assertArrayEquals(range(0, 510), Document.truncate(range(0, 600), 510, SampleConfig.Truncation.HEAD));

        Document.TruncatedSentences result =
                Document.truncateLongSentences(longAndShort(), config(512, SampleConfig.Truncation.HEAD));
        assertEquals(1, result.numTruncated());
        assertEquals(509, result.sentences()[0].length);
        assertArrayEquals(range(0, 509), result.sentences()[0]);
    }

    @Test
    void tailKeepsTheLastTokens() {
        assertArrayEquals(range(90, 600), Document.truncate(range(0, 600), 510, SampleConfig.Truncation.TAIL));

        Document.TruncatedSentences result =
                Document.truncateLongSentences(longAndShort(), config(512, SampleConfig.Truncation.TAIL));
        assertEquals(1, result.numTruncated());
        assertEquals(509, result.sentences()[0].length);
        assertArrayEquals(range(91, 600), result.sentences()[0]);
    }

    @Test
    void headTailKeepsTheFirst128AndTheLast382() {
        int[] cut = Document.truncate(range(0, 600), 510, SampleConfig.Truncation.HEAD_TAIL);
        assertEquals(510, cut.length);
        // first 128 tokens 0..127, then the last 382 tokens 218..599; 128..217 are dropped
        int[] expected = IntStream.concat(IntStream.range(0, 128), IntStream.range(218, 600)).toArray();
        assertArrayEquals(expected, cut);
        assertEquals(127, cut[127]);
        assertEquals(218, cut[128]);
        assertEquals(599, cut[509]);

        // through the config: 509 tokens, round(509 * 128 / 510) = round(127.75) = 128 head, 381 tail
        Document.TruncatedSentences result =
                Document.truncateLongSentences(longAndShort(), config(512, SampleConfig.Truncation.HEAD_TAIL));
        assertEquals(1, result.numTruncated());
        int[] expected509 = IntStream.concat(IntStream.range(0, 128), IntStream.range(219, 600)).toArray();
        assertArrayEquals(expected509, result.sentences()[0]);
    }

    @Test
    void headTailScalesToSmallerBudgets() {
        // maxSeqLength 128 -> 125 tokens: round(125 * 128 / 510) = round(31.37) = 31 head, 94 tail
        assertEquals(128, Document.headLength(510));
        assertEquals(31, Document.headLength(125));
        int[] cut = Document.truncate(range(0, 600), 125, SampleConfig.Truncation.HEAD_TAIL);
        int[] expected = IntStream.concat(IntStream.range(0, 31), IntStream.range(506, 600)).toArray();
        assertArrayEquals(expected, cut);
    }

    @Test
    void sentencesThatFitAreUntouchedAndNotCounted() {
        int[][] input = longAndShort();
        for (SampleConfig.Truncation truncation : SampleConfig.Truncation.values()) {
            Document.TruncatedSentences result = Document.truncateLongSentences(input, config(512, truncation));
            assertEquals(1, result.numTruncated(), truncation.name());
            // 10 tokens and exactly 509 tokens both fit: the very same arrays come back
            assertSame(input[1], result.sentences()[1]);
            assertSame(input[2], result.sentences()[2]);
            // the input is not modified
            assertEquals(600, input[0].length);
        }
        Document.TruncatedSentences none =
                Document.truncateLongSentences(new int[][] {range(0, 125)}, config(128, SampleConfig.Truncation.HEAD));
        assertEquals(0, none.numTruncated());
        Document.TruncatedSentences two = Document.truncateLongSentences(
                new int[][] {range(0, 126), range(0, 125), range(0, 300)}, config(128, SampleConfig.Truncation.TAIL));
        assertEquals(2, two.numTruncated());
        assertArrayEquals(range(1, 126), two.sentences()[0]);
        assertArrayEquals(range(175, 300), two.sentences()[2]);
    }

    @Test
    void emptyDocumentsAndSentencesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Document(0, new int[0][]));
        assertThrows(IllegalArgumentException.class, () -> new Document(0, new int[][] {{1}, {}}));
        assertThrows(IllegalArgumentException.class, () -> new Document(-1, new int[][] {{1}}));
    }

    @Test
    void equalityComparesTokens() {
        Document a = new Document(3, new int[][] {{1, 2}, {3}});
        Document b = new Document(3, new int[][] {{1, 2}, {3}});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new Document(4, new int[][] {{1, 2}, {3}}));
        assertNotEquals(a, new Document(3, new int[][] {{1, 2}, {4}}));
        assertEquals(3, a.numTokens());
        assertEquals(2, a.numSentences());
    }
}
