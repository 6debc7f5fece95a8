package io.sparkbert.pipeline.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.TestData;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our tokenizer against HuggingFace's Rust tokenizers on the real bert-base-uncased vocabulary:
 * every line of the committed corpus, every Unicode code point, and seeded random strings,
 * uncased and cased. The target is 100% identical ids.
 */
class HuggingFaceAgreementTest {
    private static Vocab vocab;
    private static HuggingFaceBertTokenizer hfUncased;
    private static HuggingFaceBertTokenizer hfCased;

    @BeforeAll
    static void setUp() {
        vocab = ReferenceVocabs.bertBaseUncased();
        hfUncased = new HuggingFaceBertTokenizer(vocab, true);
        hfCased = new HuggingFaceBertTokenizer(vocab, false);
    }

    @AfterAll
    static void tearDown() {
        hfUncased.close();
        hfCased.close();
    }

    private static HuggingFaceBertTokenizer peer(boolean uncased) {
        return uncased ? hfUncased : hfCased;
    }

    /** Compares every text; returns the number of identical ones and prints the first differences. */
    private static int countIdentical(String what, boolean uncased, List<String> texts) {
        BertTokenizer ours = new BertTokenizer(vocab, uncased);
        int[][] expected = peer(uncased).encodeBatch(texts);
        int identical = 0;
        List<String> firstDifferences = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            int[] actual = ours.encode(texts.get(i));
            if (Arrays.equals(actual, expected[i])) {
                identical++;
            } else if (firstDifferences.size() < 5) {
                firstDifferences.add(escape(texts.get(i)) + "\n    ours " + Arrays.toString(actual)
                        + "\n    hf   " + Arrays.toString(expected[i]));
            }
        }
        System.out.printf("%s (%s): %d of %d identical%n", what, uncased ? "uncased" : "cased", identical, texts.size());
        firstDifferences.forEach(d -> System.out.println("  differs: " + d));
        return identical;
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c < 0x20 || c > 0x7E) {
                out.append(String.format("\\u{%X}", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    @ParameterizedTest(name = "uncased={0}")
    @ValueSource(booleans = {true, false})
    void everyLineOfTheCorpus(boolean uncased) {
        List<String> lines = TestData.corpusLines();
        assertTrue(lines.size() > 10_000, "the committed corpus has " + lines.size() + " lines");
        assertEquals(lines.size(), countIdentical("corpus lines", uncased, lines));
    }

    @ParameterizedTest(name = "uncased={0}")
    @ValueSource(booleans = {true, false})
    void everyCodePoint(boolean uncased) {
        // Each code point inside a word, between words, and repeated, so that cleaning, CJK spacing,
        // punctuation splitting, accent stripping and lowercasing are all observed.
        List<String> probes = new ArrayList<>();
        for (int c = 1; c <= Character.MAX_CODE_POINT; c++) {
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                continue; // not representable in UTF-8 text
            }
            String s = new String(Character.toChars(c));
            probes.add("A" + s + "b " + s + " " + s + s + "e");
        }
        assertEquals(probes.size(), countIdentical("code points", uncased, probes));
    }

    @ParameterizedTest(name = "uncased={0}")
    @ValueSource(booleans = {true, false})
    void randomUnicodeStrings(boolean uncased) {
        SplittableRandom random = new SplittableRandom(20261123L);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            texts.add(randomText(random));
        }
        assertEquals(texts.size(), countIdentical("random strings", uncased, texts));
    }

    @ParameterizedTest(name = "uncased={0}")
    @ValueSource(booleans = {true, false})
    void wordsAroundTheMaximumLength(boolean uncased) {
        List<String> texts = new ArrayList<>();
        for (String unit : List.of("a", "ab", "é", "😀", "x1", "the")) {
            for (int n = 90; n <= 110; n++) {
                texts.add("go " + unit.repeat(n) + " stop");
            }
        }
        assertEquals(texts.size(), countIdentical("long words", uncased, texts));
    }

    /** Mostly words from pools that exercise every stage, with arbitrary code points mixed in. */
    private static String randomText(SplittableRandom random) {
        String[] pools = {
            "the quick brown fox jumps over lazy dog running unbelievable tokenization",
            "ÀÉÎÕÜàéîõüçñßøåæœ ǅǈ İı ΣσςΆΈ ЖжЁё",
            ".,;:!?'\"()[]{}<>-_/\\@#$%^&*+=|~`“”‘’«»—–…·¡¿",
            " \t\n\r\u000B\u000C\u00A0\u1680\u2000\u2009\u200A\u2028\u2029\u202F\u205F\u3000\u0085",
            "\u0000\u0001\u0007\u001B\u007F\u0080\u009F\u00AD\u200B\u200C\u200D\u200E\u2060\uFEFF\uFFFD\uE000",
            "中文漢字日本語한국어ひらがなカタカナ豈更車〇々",
            "\u0301\u0300\u0302\u0308\u0303\u0327\u20DD\u0E31\u093F",
            "😀👍🏽👨‍👩‍👧🇬🇧❤️𠀀𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
            "0123456789٠١٢٣४५६",
        };
        StringBuilder out = new StringBuilder();
        int length = 1 + random.nextInt(60);
        for (int i = 0; i < length; i++) {
            if (random.nextInt(10) == 0) {
                int c;
                do {
                    c = random.nextInt(Character.MAX_CODE_POINT + 1);
                } while (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE);
                out.appendCodePoint(c);
            } else {
                String pool = pools[random.nextInt(pools.length)];
                int[] codePoints = pool.codePoints().toArray();
                out.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
            }
        }
        return out.toString();
    }
}
