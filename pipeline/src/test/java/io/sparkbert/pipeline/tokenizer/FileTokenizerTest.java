package io.sparkbert.pipeline.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkbert.pipeline.TestData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FileTokenizerTest {
    private static final Vocab VOCAB = Vocab.of(List.of(
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "!", "##s"));

    private static String run(byte[] input, int threads, FileTokenizer.Stats[] stats) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FileTokenizer.Stats s = new FileTokenizer(new BertTokenizer(VOCAB, true), threads)
                .run(new ByteArrayInputStream(input), out, null);
        if (stats != null) {
            stats[0] = s;
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void oneIdLinePerInputLine() throws Exception {
        byte[] input = {'H', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', 's', '!', '\n',
            '\n',
            'x', (byte) 0xFF, 'y', '\r', '\n',
            'h', 'e', 'l', 'l', 'o'};
        FileTokenizer.Stats[] stats = new FileTokenizer.Stats[1];
        // hello=5 world=6 ##s=8 !=7; empty line stays empty; "x\uFFFDy" is one unknown word
        assertEquals("5 6 8 7\n\n1\n5\n", run(input, 1, stats));
        assertEquals(4, stats[0].lines());
        assertEquals(6, stats[0].wordPieces());
        assertEquals(1, stats[0].unknownPieces());
        assertEquals(1, stats[0].invalidUtf8Sequences());
        assertEquals(input.length, stats[0].bytes());
    }

    /** Issue 16: lone-CR text (classic Mac line ends) is lines, not one long line; CRLF is one line end. */
    @Test
    void loneCarriageReturnsEndLines() throws Exception {
        byte[] input = "hello\rworld\r\nhello\r\rworld\r".getBytes(StandardCharsets.US_ASCII);
        FileTokenizer.Stats[] stats = new FileTokenizer.Stats[1];
        assertEquals("5\n6\n5\n\n6\n", run(input, 1, stats));
        assertEquals(5, stats[0].lines());
        assertEquals(input.length, stats[0].bytes());
    }

    @Test
    void threadsDoNotChangeTheOutput() throws Exception {
        StringBuilder corpus = new StringBuilder();
        for (Path file : TestData.corpusFiles()) {
            corpus.append(Files.readString(file)).append('\n');
        }
        byte[] input = corpus.toString().getBytes(StandardCharsets.UTF_8);
        String single = run(input, 1, null);
        assertEquals(single, run(input, 3, null));
        assertEquals(corpus.toString().split("\n", -1).length - 1, single.split("\n", -1).length - 1);
    }

    @Test
    void emptyInputGivesEmptyOutput() throws Exception {
        FileTokenizer.Stats[] stats = new FileTokenizer.Stats[1];
        assertArrayEquals(new byte[0], run(new byte[0], 2, stats).getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, stats[0].lines());
    }
}
