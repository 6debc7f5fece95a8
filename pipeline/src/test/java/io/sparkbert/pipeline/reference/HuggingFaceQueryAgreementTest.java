package io.sparkbert.pipeline.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkbert.pipeline.TestData;
import io.sparkbert.pipeline.TestSeed;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.PostProcessor;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Queries (fill-mask, infer) against HuggingFace's BertTokenizerFast set-up: special tokens as added tokens (a
 * literal [MASK] is the mask, a literal [CLS] the [CLS] token) and the BertProcessing post-processor. Corpus lines
 * (the committed corpus, which also holds lines of literal special tokens) with special tokens put in at random
 * places (between words, inside words, several in a row, at the ends), alone and as pairs, on the real
 * bert-base-uncased vocabulary: ids and type ids must be identical.
 */
@ExtendWith(TestSeed.class)
class HuggingFaceQueryAgreementTest {

    private static String withMasks(String line, SplittableRandom random) {
        StringBuilder out = new StringBuilder(line);
        for (int m = random.nextInt(4); m > 0; m--) {
            // at a code point boundary: a string split inside a surrogate pair is not text
            int at = out.offsetByCodePoints(0, random.nextInt(out.codePointCount(0, out.length()) + 1));
            String special = random.nextInt(4) > 0 ? Vocab.MASK
                    : Vocab.SPECIAL_TOKENS.get(random.nextInt(Vocab.SPECIAL_TOKENS.size()));
            out.insert(at, random.nextInt(3) == 0 ? special : " " + special + " ");
        }
        return out.toString();
    }

    private static List<String> pieces(Vocab vocab, int[] ids) {
        return java.util.Arrays.stream(ids).mapToObj(vocab::token).toList();
    }

    /** Non-ASCII and control characters as \\uXXXX, so a failure message prints whole. */
    private static String escape(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c)
                : String.format("\\u%04x", c)));
        return out.toString();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void queriesAndPairsGetHuggingFacesIdsAndTypeIds(boolean uncased) {
        Vocab vocab = ReferenceVocabs.bertBaseUncased();
        BertTokenizer ours = new BertTokenizer(vocab, uncased);
        List<String> lines = TestData.corpusLines().stream().filter(l -> !l.isBlank()).toList();
        SplittableRandom random = new SplittableRandom(TestSeed.seed("queries"));
        try (HuggingFaceBertTokenizer hf = new HuggingFaceBertTokenizer(vocab, uncased, true)) {
            for (int i = 0; i < 2000; i++) {
                String a = withMasks(lines.get(random.nextInt(lines.size())), random);
                String b = random.nextBoolean() ? null : withMasks(lines.get(random.nextInt(lines.size())), random);
                PostProcessor.Encoding actual = ours.encodeQuery(a, b);
                int[][] expected = hf.encodeQuery(a, b);
                String what = "query " + i + ": a=\"" + escape(a) + "\" b=" + (b == null ? "none" : "\"" + escape(b) + "\"")
                        + "\n  ours " + pieces(vocab, actual.ids()) + "\n  hf   " + pieces(vocab, expected[0]);
                assertArrayEquals(expected[0], actual.ids(), what);
                assertArrayEquals(expected[1], actual.typeIds(), what);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aHandWorkedPair(boolean uncased) {
        Vocab vocab = Vocab.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "##s"));
        PostProcessor.Encoding e = new BertTokenizer(vocab, true).encodeQuery("the [MASK] sat", "cats");
        //                         [CLS] the [MASK] sat [SEP] cat ##s [SEP]
        assertArrayEquals(new int[] {2, 5, 4, 7, 3, 6, 8, 3}, e.ids());
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1, 1}, e.typeIds());
        assertEquals(8, e.length());
        PostProcessor.Encoding single = new BertTokenizer(vocab, uncased).encodeQuery("[MASK]", null);
        assertArrayEquals(new int[] {2, 4, 3}, single.ids());
        assertArrayEquals(new int[] {0, 0, 0}, single.typeIds());
        // [CLS] [CLS] cat [SEP] then "[mask]" is text (case matters): "[", "mask", "]" -> 3 x [UNK], [SEP]
        assertArrayEquals(new int[] {2, 2, 6, 3, 1, 1, 1, 3}, new BertTokenizer(vocab, true).encodeQuery("[CLS]cat[SEP]"
                + " [mask]", null).ids());
    }
}
