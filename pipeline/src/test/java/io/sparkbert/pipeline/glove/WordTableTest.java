package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Byte-keyed word counting and lookup, and the copy-free word splitter, against the String versions. */
class WordTableTest {
    @Test
    void countsAndFindsLikeAHashMap() {
        WordTable table = new WordTable();
        Map<String, Long> truth = new HashMap<>();
        Random random = new Random(3);
        for (int i = 0; i < 200_000; i++) {
            String word = "w" + (int) Math.exp(random.nextDouble() * 11) + (i % 7 == 0 ? "\u00e9" : "");
            byte[] bytes = ("  " + word).getBytes(StandardCharsets.ISO_8859_1);
            table.add(bytes, 2, bytes.length - 2, 1);
            truth.merge(word, 1L, Long::sum);
        }
        assertEquals(truth.size(), table.size());
        for (int i = 0; i < table.size(); i++) {
            assertEquals(truth.get(table.word(i)), table.count(i), table.word(i));
            byte[] bytes = table.word(i).getBytes(StandardCharsets.ISO_8859_1);
            assertEquals(i, table.find(bytes, 0, bytes.length));
        }
        assertEquals(-1, table.find(new byte[] {'n', 'o'}, 0, 2));
        WordTable ids = WordTable.of(new String[] {"the", "of", "\u00ff"});
        assertEquals(2, ids.find(new byte[] {(byte) 0xFF}, 0, 1));
        assertEquals(0, ids.find("xthe".getBytes(StandardCharsets.US_ASCII), 1, 3));
    }

    @Test
    void forEachWordGivesTheSameWordsAsSplit() throws Exception {
        Random random = new Random(5);
        byte[] alphabet = {'a', 'b', ' ', ' ', '\t', '\r', (byte) 0xC3, (byte) 0xA9, (byte) 0xE2, (byte) 0x82};
        for (int trial = 0; trial < 2000; trial++) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int length = random.nextInt(trial % 50 == 0 ? 3000 : 40);
            boolean longWords = trial % 50 == 0;
            for (int i = 0; i < length; i++) {
                byte b = alphabet[random.nextInt(alphabet.length)];
                if (longWords && (b == ' ' || b == '\t') && random.nextInt(10) > 0) {
                    b = 'x';
                }
                line.write(b);
            }
            byte[] bytes = line.toByteArray();
            List<String> expected = new ArrayList<>();
            GloveWords.split(bytes, bytes.length, expected);
            List<String> actual = new ArrayList<>();
            GloveWords.forEachWord(bytes, bytes.length,
                    (b, offset, n) -> actual.add(new String(b, offset, n, StandardCharsets.ISO_8859_1)));
            assertEquals(expected, actual, "line " + trial);
        }
    }
}
