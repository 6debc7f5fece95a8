package io.sparkbert.pipeline.vocab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark glue of vocabulary learning, on a real local[2] Spark and real files. */
class CorpusWordCountsTest {
    private static JavaSparkContext spark;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startSpark() throws IOException {
        spark = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("CorpusWordCountsTest")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("a.txt"), "The cat sat.\nthe CAT!\n\n", StandardCharsets.UTF_8);
        // invalid UTF-8 in the middle of a word, and a file without a final newline
        Files.write(corpus.resolve("b.txt"), new byte[] {'c', 'a', (byte) 0xFF, 't', '\n', 'z', 'z'});
        Files.writeString(corpus.resolve("_SUCCESS"), "ignored: Hadoop's hidden-file convention");
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    @Test
    void countsWordsCharactersAndBadInput() {
        try (CorpusWordCounts counts = CorpusWordCounts.count(spark, List.of(dir.resolve("corpus").toString()),
                true, 3)) {
            CorpusWordCounts.Stats stats = counts.stats();
            // lines: "The cat sat.", "the CAT!", "", "ca\uFFFDt", "zz"
            assertEquals(2, stats.files());
            assertEquals(5, stats.lines());
            // words: the cat sat . the cat ! cat(ca+t without U+FFFD, which is dropped) zz
            assertEquals(9, stats.words());
            assertEquals(1, stats.invalidUtf8Sequences());
            assertEquals(6, stats.distinctWords()); // the cat sat . ! zz
            assertEquals(Map.of("the", 2L, "cat", 3L), counts.wordsSeenAtLeast(2));
            Map<Integer, Long> characters = counts.characterCounts();
            assertEquals(6L, characters.get((int) 't')); // the x2, cat x3, sat x1
            assertEquals(4L, characters.get((int) 'a')); // cat x3, sat x1
            assertEquals(2L, characters.get((int) 'z'));
            assertEquals(null, characters.get(0xFFFD), "the replacement character is cleaned away");
        }
    }

    @Test
    void coverageOfAVocabulary() {
        Vocab vocab = Vocab.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "c", "##at", "s"));
        try (CorpusWordCounts counts = CorpusWordCounts.count(spark, List.of(dir.resolve("corpus").toString()),
                true, 2)) {
            CorpusWordCounts.Coverage coverage = counts.coverage(vocab);
            // the(2)=1 piece, cat(3)=c ##at, sat(1)=s ##at, .(1) !(1) zz(1) = [UNK] each
            assertEquals(9, coverage.words());
            assertEquals(2 + 3 * 2 + 2 + 3, coverage.wordPieces());
            assertEquals(3, coverage.unknownPieces());
        }
    }

    @Test
    void missingInputIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CorpusWordCounts.count(spark, List.of(dir.resolve("nowhere").toString()), true, 1));
        assertTrue(e.getMessage().contains("input path does not exist"), e.getMessage());
    }
}
