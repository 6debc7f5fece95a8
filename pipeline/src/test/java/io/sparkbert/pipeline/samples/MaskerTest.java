package io.sparkbert.pipeline.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.TestSeed;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestSeed.class)
class MaskerTest {
    // A small vocabulary whose ids are written out by hand.
    private static final List<String> SMALL = List.of(
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]", // 0-5
            "the", "cat", "sat", "on", "mat", // 6-10
            "un", "##believ", "##able", "dog", "##gy", "ran", // 11-16
            "[unused1]"); // 17
    private static final int PAD = 0;
    private static final int UNK = 1;
    private static final int CLS = 2;
    private static final int SEP = 3;
    private static final int MASK = 4;
    private static final int THE = 6;
    private static final int CAT = 7;
    private static final int SAT = 8;
    private static final int ON = 9;
    private static final int MAT = 10;
    private static final int UN = 11;
    private static final int BELIEV = 12;
    private static final int ABLE = 13;
    private static final int DOG = 14;
    private static final int GY = 15;
    private static final int RAN = 16;
    /** The real tokens of SMALL, ascending: everything but the specials and [unusedN]. */
    private static final int[] SMALL_REAL = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

    private static SampleConfig config(int maxPredictions, double prob, boolean wholeWord) {
        return new SampleConfig(128, maxPredictions, prob, 0.1, 1, wholeWord, SampleConfig.Truncation.HEAD, 1L);
    }

    private static Masker smallMasker(int maxPredictions, double prob, boolean wholeWord) {
        return new Masker(Vocab.of(SMALL), config(maxPredictions, prob, wholeWord));
    }

    // ---------------------------------------------------------------- num_to_predict

    @Test
    void numToPredictRoundsHalfToEvenLikePython3() {
        assertEquals(2, Masker.numToPredict(10, 0.25, 20), "10 * 0.25 = 2.5 rounds to 2");
        assertEquals(4, Masker.numToPredict(14, 0.25, 20), "14 * 0.25 = 3.5 rounds to 4");
        assertEquals(4, Masker.numToPredict(18, 0.25, 20), "18 * 0.25 = 4.5 rounds to 4");
        assertEquals(4, Masker.numToPredict(30, 0.15, 20), "30 * 0.15 = 4.5 rounds to 4");
        assertEquals(19, Masker.numToPredict(128, 0.15, 20), "128 * 0.15 = 19.2");
        assertEquals(1, Masker.numToPredict(3, 0.15, 20), "0.45 rounds to 0, but at least 1");
        assertEquals(20, Masker.numToPredict(200, 0.15, 20), "30 capped at max_predictions_per_seq");
        assertEquals(20, Masker.numToPredict(512, 0.15, 20), "76.8 capped");
    }

    @Test
    void predictsExactlyNumToPredictPositionsCountingClsAndSep() {
        // len 10 with prob 0.25: 2.5 -> 2 (half-even), 7 candidates.
        int[] ten = {CLS, THE, CAT, SAT, ON, SEP, THE, MAT, RAN, SEP};
        Masker quarter = smallMasker(20, 0.25, false);
        // len 30 with prob 0.15: 4.5 -> 4.
        int[] thirty = new int[30];
        thirty[0] = CLS;
        for (int i = 1; i < 29; i++) {
            thirty[i] = SMALL_REAL[i % SMALL_REAL.length];
        }
        thirty[14] = SEP;
        thirty[29] = SEP;
        Masker fifteen = smallMasker(20, 0.15, false);
        // len 14 with prob 0.25: 3.5 -> 4.
        int[] fourteen = {CLS, THE, CAT, SAT, ON, THE, MAT, SEP, DOG, RAN, ON, THE, MAT, SEP};
        for (long seed : TestSeed.seeds("MaskerTest:85", 200)) {
            assertEquals(2, quarter.mask(ten, new SeededRandom(seed)).predictionCount());
            assertEquals(4, fifteen.mask(thirty, new SeededRandom(seed)).predictionCount());
            assertEquals(4, quarter.mask(fourteen, new SeededRandom(seed)).predictionCount());
        }
        // The cap: 30 * 0.9 = 27, capped at 3.
        assertEquals(3, smallMasker(3, 0.9, false).mask(thirty, new SeededRandom(5)).predictionCount());
    }

    @Test
    void neverChoosesClsSepOrPadAndLabelsAreTheOriginals() {
        int[] tokens = {CLS, THE, CAT, SEP, SAT, ON, MAT, SEP, PAD, PAD};
        int[] original = tokens.clone();
        Masker masker = smallMasker(20, 0.6, false); // 10 * 0.6 = 6 > 5 candidates: all real tokens chosen
        for (long seed : TestSeed.seeds("MaskerTest:99", 300)) {
            MaskedSample sample = masker.mask(tokens, new SeededRandom(seed));
            assertArrayEquals(original, tokens, "the input is not modified");
            assertArrayEquals(new int[] {1, 2, 4, 5, 6}, sample.positions(), "every candidate, ascending");
            assertArrayEquals(new int[] {THE, CAT, SAT, ON, MAT}, sample.labels());
            assertEquals(CLS, sample.tokens()[0]);
            assertEquals(SEP, sample.tokens()[3]);
            assertEquals(SEP, sample.tokens()[7]);
            assertEquals(PAD, sample.tokens()[8]);
            assertEquals(PAD, sample.tokens()[9]);
        }
    }

    @Test
    void unknownAndMaskTokensInTheInputAreCandidatesAsInGoogle() {
        // Google only excludes [CLS] and [SEP]; an [UNK] in the text is a position like any other.
        int[] tokens = {CLS, UNK, SEP, MASK, SEP};
        MaskedSample sample = smallMasker(20, 0.6, false).mask(tokens, new SeededRandom(3)); // 5 * 0.6 = 3 > 2
        assertArrayEquals(new int[] {1, 3}, sample.positions());
        assertArrayEquals(new int[] {UNK, MASK}, sample.labels());
    }

    // ---------------------------------------------------------------- Google's draw order

    /**
     * Re-derives the result with its own generator of the same seed, following Google's code line
     * by line: shuffle the candidate positions, take the first num_to_predict, then per position
     * random() < 0.8 -> [MASK], else random() < 0.5 -> keep, else vocab_words[randint(...)].
     */
    @Test
    void reproducesGooglesDrawOrder() {
        int[] tokens = {CLS, THE, CAT, SAT, ON, SEP, THE, MAT, RAN, SEP}; // len 10, prob 0.25 -> 2
        Masker masker = smallMasker(20, 0.25, false);
        int masks = 0;
        int keeps = 0;
        int randoms = 0;
        for (long seed : TestSeed.seeds("MaskerTest:135", 500)) {
            SeededRandom mirror = new SeededRandom(seed);
            int[] candidates = {1, 2, 3, 4, 6, 7, 8};
            mirror.shuffle(candidates, candidates.length);
            int[] expected = tokens.clone();
            int[] chosen = {candidates[0], candidates[1]};
            int m = 0;
            int r = 0;
            int k = 0;
            for (int position : chosen) {
                if (mirror.nextDouble() < 0.8) {
                    expected[position] = MASK;
                    m++;
                } else if (mirror.nextDouble() < 0.5) {
                    k++;
                } else {
                    expected[position] = SMALL_REAL[mirror.nextInt(SMALL_REAL.length)];
                    r++;
                }
            }
            int[] sortedPositions = {Math.min(chosen[0], chosen[1]), Math.max(chosen[0], chosen[1])};

            MaskedSample sample = masker.mask(tokens, new SeededRandom(seed));
            assertArrayEquals(expected, sample.tokens(), "seed " + seed);
            assertArrayEquals(sortedPositions, sample.positions(), "seed " + seed);
            assertArrayEquals(new int[] {tokens[sortedPositions[0]], tokens[sortedPositions[1]]}, sample.labels());
            assertEquals(m, sample.maskCount());
            assertEquals(r, sample.randomCount());
            assertEquals(k, sample.keepCount());
            masks += m;
            keeps += k;
            randoms += r;
        }
        assertTrue(masks > 0 && keeps > 0 && randoms > 0, "all three branches were exercised");
    }

    @Test
    void reproducesGooglesDrawOrderWithWholeWords() {
        // Words: [1,2,3] "un ##believ ##able", [4] "the", [6,7] "dog ##gy", [8] "ran".
        int[] tokens = {CLS, UN, BELIEV, ABLE, THE, SEP, DOG, GY, RAN, SEP}; // len 10 * 0.3 = 3
        int[][] words = {{1, 2, 3}, {4}, {6, 7}, {8}};
        Masker masker = smallMasker(20, 0.3, true);
        for (long seed : TestSeed.seeds("MaskerTest:177", 300)) {
            SeededRandom mirror = new SeededRandom(seed);
            int[] order = {0, 1, 2, 3};
            mirror.shuffle(order, order.length);
            int[] expected = tokens.clone();
            Set<Integer> chosen = new HashSet<>();
            for (int w : order) {
                if (chosen.size() >= 3) {
                    break;
                }
                if (chosen.size() + words[w].length > 3) {
                    continue;
                }
                for (int position : words[w]) {
                    if (mirror.nextDouble() < 0.8) {
                        expected[position] = MASK;
                    } else if (mirror.nextDouble() >= 0.5) {
                        expected[position] = SMALL_REAL[mirror.nextInt(SMALL_REAL.length)];
                    }
                    chosen.add(position);
                }
            }
            MaskedSample sample = masker.mask(tokens, new SeededRandom(seed));
            assertArrayEquals(expected, sample.tokens(), "seed " + seed);
            assertArrayEquals(chosen.stream().mapToInt(Integer::intValue).sorted().toArray(), sample.positions());
        }
    }

    // ---------------------------------------------------------------- whole-word masking

    @Test
    void wholeWordIsMaskedAllOrNothing() {
        int[] tokens = {CLS, THE, UN, BELIEV, ABLE, CAT, SEP, SAT, SEP}; // len 9 * 0.4 = 3.6 -> 4
        Masker masker = smallMasker(20, 0.4, true);
        int wordChosen = 0;
        for (long seed : TestSeed.seeds("MaskerTest:212", 400)) {
            MaskedSample sample = masker.mask(tokens, new SeededRandom(seed));
            Set<Integer> positions = new HashSet<>();
            for (int p : sample.positions()) {
                positions.add(p);
            }
            boolean any = positions.contains(2) || positions.contains(3) || positions.contains(4);
            boolean all = positions.contains(2) && positions.contains(3) && positions.contains(4);
            assertEquals(any, all, "un ##believ ##able chosen together or not at all: " + positions);
            if (all) {
                wordChosen++;
            }
            assertTrue(sample.predictionCount() <= 4);
        }
        assertTrue(wordChosen > 0 && wordChosen < 400, "the word is sometimes chosen, sometimes not");
    }

    @Test
    void wordThatWouldOverflowTheBudgetIsSkipped() {
        // num_to_predict is capped at 2: the three-piece word never fits; singles {4, 5, 7} fill the budget.
        int[] tokens = {CLS, UN, BELIEV, ABLE, THE, CAT, SEP, DOG, SEP};
        Masker masker = smallMasker(2, 0.5, true);
        for (long seed : TestSeed.seeds("MaskerTest:234", 300)) {
            MaskedSample sample = masker.mask(tokens, new SeededRandom(seed));
            assertEquals(2, sample.predictionCount());
            for (int p : sample.positions()) {
                assertTrue(p == 4 || p == 5 || p == 7, "position " + p);
            }
        }
    }

    @Test
    void wholeWordMaskingMayPredictFewerThanNumToPredict() {
        // Words of 3 and 2 pieces, budget min(4, round(7 * 0.9) = 6) = 4: whichever word comes first
        // in the shuffle is taken and the other would overshoot, so 3 or 2 predictions, never 4.
        int[] tokens = {CLS, UN, BELIEV, ABLE, DOG, GY, SEP};
        Masker masker = smallMasker(4, 0.9, true);
        Set<Integer> counts = new HashSet<>();
        for (long seed : TestSeed.seeds("MaskerTest:250", 200)) {
            MaskedSample sample = masker.mask(tokens, new SeededRandom(seed));
            counts.add(sample.predictionCount());
            if (sample.predictionCount() == 3) {
                assertArrayEquals(new int[] {1, 2, 3}, sample.positions());
            } else {
                assertArrayEquals(new int[] {4, 5}, sample.positions());
            }
        }
        assertEquals(Set.of(2, 3), counts);
        // Without whole-word masking the same sample gets exactly 4.
        assertEquals(4, smallMasker(4, 0.9, false).mask(tokens, new SeededRandom(1)).predictionCount());
    }

    @Test
    void continuationPieceAfterSepIsItsOwnCandidate() {
        // Segment B starts with a fragment (front truncation cut a word). With budget 1, grouping it
        // with "cat" across [SEP] (Google) would make both unselectable; here each is chosen sometimes.
        int[] tokens = {CLS, THE, CAT, SEP, ABLE, DOG, SEP};
        Masker masker = smallMasker(1, 0.15, true);
        Set<Integer> seen = new HashSet<>();
        for (long seed : TestSeed.seeds("MaskerTest:271", 200)) {
            MaskedSample sample = masker.mask(tokens, new SeededRandom(seed));
            assertEquals(1, sample.predictionCount());
            seen.add(sample.positions()[0]);
        }
        assertEquals(Set.of(1, 2, 4, 5), seen);
    }

    // ---------------------------------------------------------------- statistics on a large vocab

    /** Big test vocabulary: specials scattered among [unusedN], 600 words and 300 ## pieces (1005 tokens). */
    private static List<String> bigVocab() {
        List<String> tokens = new ArrayList<>();
        tokens.add("[PAD]");
        for (int i = 0; i < 50; i++) {
            tokens.add("[unused" + i + "]");
        }
        tokens.addAll(List.of("[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (int i = 50; i < 100; i++) {
            tokens.add("[unused" + i + "]");
        }
        for (int i = 0; i < 600; i++) {
            tokens.add("w" + i);
        }
        for (int i = 0; i < 300; i++) {
            tokens.add("##p" + i);
        }
        return tokens;
    }

    /** Random [CLS] A [SEP] B [SEP] over the given real ids, lengths 5..125. */
    private static int[] randomSample(SeededRandom data, int[] realIds, int cls, int sep) {
        int lengthA = 1 + data.nextInt(60);
        int lengthB = 1 + data.nextInt(60);
        int[] tokens = new int[lengthA + lengthB + 3];
        tokens[0] = cls;
        for (int i = 1; i <= lengthA; i++) {
            tokens[i] = realIds[data.nextInt(realIds.length)];
        }
        tokens[lengthA + 1] = sep;
        for (int i = lengthA + 2; i < tokens.length - 1; i++) {
            tokens[i] = realIds[data.nextInt(realIds.length)];
        }
        tokens[tokens.length - 1] = sep;
        return tokens;
    }

    @Test
    void statisticsMatchGoogleOnALargeVocabulary() {
        List<String> words = bigVocab();
        Vocab vocab = Vocab.of(words);
        assertTrue(vocab.size() >= 1000);
        int cls = vocab.clsId();
        int sep = vocab.sepId();
        int mask = vocab.maskId();
        int[] realIds = java.util.stream.IntStream.range(0, words.size())
                .filter(id -> !words.get(id).startsWith("[")).toArray();
        assertEquals(900, realIds.length);
        Set<Integer> real = new HashSet<>();
        for (int id : realIds) {
            real.add(id);
        }
        Masker masker = new Masker(vocab, config(20, 0.15, false));
        assertEquals(900, masker.replacementCount());

        long maskCount = 0;
        long randomCount = 0;
        long keepCount = 0;
        long observedMasks = 0;
        int[] replacementHits = new int[words.size()];
        long observedReplacements = 0;
        for (int s = 0; s < 20_000; s++) {
            int[] tokens = randomSample(new SeededRandom(SeededRandom.seed(99, s)), realIds, cls, sep);
            MaskedSample sample = masker.mask(tokens, new SeededRandom(SeededRandom.seed(7, s)));
            int expected = Math.min(20, Math.max(1, (int) Math.rint(tokens.length * 0.15)));
            assertEquals(expected, sample.predictionCount(), "masked fraction = num_to_predict / len");
            int previous = -1;
            for (int k = 0; k < sample.predictionCount(); k++) {
                int p = sample.positions()[k];
                assertTrue(p > previous, "ascending");
                previous = p;
                assertNotEquals(cls, tokens[p]);
                assertNotEquals(sep, tokens[p]);
                assertEquals(tokens[p], sample.labels()[k]);
                int out = sample.tokens()[p];
                if (out == mask) {
                    observedMasks++;
                } else if (out != tokens[p]) {
                    assertTrue(real.contains(out), "random replacement " + words.get(out) + " is a real token");
                    assertFalse(Vocab.SPECIAL_TOKENS.contains(words.get(out)));
                    assertFalse(words.get(out).startsWith("[unused"));
                    replacementHits[out]++;
                    observedReplacements++;
                }
            }
            for (int i = 0; i < tokens.length; i++) {
                if (java.util.Arrays.binarySearch(sample.positions(), i) < 0) {
                    assertEquals(tokens[i], sample.tokens()[i], "unchosen positions are untouched");
                }
            }
            maskCount += sample.maskCount();
            randomCount += sample.randomCount();
            keepCount += sample.keepCount();
        }
        assertEquals(maskCount, observedMasks, "[MASK] appears exactly at the mask-branch positions");
        double total = maskCount + randomCount + keepCount;
        assertTrue(total > 150_000, "enough predictions: " + total);
        assertEquals(0.80, maskCount / total, 0.02);
        assertEquals(0.10, randomCount / total, 0.02);
        assertEquals(0.10, keepCount / total, 0.02);
        assertTrue(observedReplacements > 0.99 * randomCount - 1 && observedReplacements <= randomCount);

        // Roughly uniform over the 900 real ids: every id drawn, and a chi-square test over 30 bins
        // of 30 ids each (29 degrees of freedom; 58.3 is the 0.1% critical value).
        double perBin = observedReplacements / 30.0;
        double chiSquare = 0;
        for (int bin = 0; bin < 30; bin++) {
            long hits = 0;
            for (int j = bin * 30; j < bin * 30 + 30; j++) {
                hits += replacementHits[realIds[j]];
            }
            chiSquare += (hits - perBin) * (hits - perBin) / perBin;
        }
        assertTrue(chiSquare < 58.3, "chi-square " + chiSquare);
        for (int id : realIds) {
            assertTrue(replacementHits[id] > 0, "real id " + id + " was never drawn");
        }
    }

    @Test
    void wholeWordMaskingOnRandomSamplesKeepsWordsWhole() {
        List<String> words = bigVocab();
        Vocab vocab = Vocab.of(words);
        int[] realIds = java.util.stream.IntStream.range(0, words.size())
                .filter(id -> !words.get(id).startsWith("[")).toArray();
        Masker masker = new Masker(vocab, config(20, 0.15, true));
        for (int s = 0; s < 2_000; s++) {
            int[] tokens = randomSample(new SeededRandom(SeededRandom.seed(5, s)), realIds, vocab.clsId(), vocab.sepId());
            MaskedSample sample = masker.mask(tokens, new SeededRandom(SeededRandom.seed(6, s)));
            assertTrue(sample.predictionCount() <= Masker.numToPredict(tokens.length, 0.15, 20));
            Set<Integer> chosen = new HashSet<>();
            for (int p : sample.positions()) {
                chosen.add(p);
            }
            // A chosen position's neighbour in the same word is chosen too.
            for (int i = 1; i < tokens.length; i++) {
                boolean sameWord = words.get(tokens[i]).startsWith("##") && tokens[i - 1] != vocab.sepId()
                        && tokens[i - 1] != vocab.clsId();
                if (sameWord) {
                    assertEquals(chosen.contains(i - 1), chosen.contains(i), "sample " + s + " position " + i);
                }
            }
        }
    }

    // ---------------------------------------------------------------- vocabulary handling

    @Test
    void replacementsExcludeSpecialsAndBracketedEntries() {
        assertTrue(Masker.isReserved("[PAD]"));
        assertTrue(Masker.isReserved("[MASK]"));
        assertTrue(Masker.isReserved("[unused12]"));
        assertTrue(Masker.isReserved("[BOS]"));
        assertFalse(Masker.isReserved("["));
        assertFalse(Masker.isReserved("]"));
        assertFalse(Masker.isReserved("##s"));
        assertFalse(Masker.isReserved("the"));
        assertEquals(SMALL_REAL.length, smallMasker(20, 0.15, false).replacementCount());
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        Masker masker = smallMasker(20, 0.15, false);
        assertThrows(IllegalArgumentException.class,
                () -> masker.mask(new int[] {CLS, 99, SEP}, new SeededRandom(1)));
        assertThrows(IllegalArgumentException.class,
                () -> masker.mask(new int[] {CLS, -1, SEP}, new SeededRandom(1)));
    }

    @Test
    void sampleWithoutCandidatesGetsNoPredictions() {
        MaskedSample sample = smallMasker(20, 0.15, false).mask(new int[] {CLS, SEP, SEP}, new SeededRandom(1));
        assertEquals(0, sample.predictionCount());
        assertArrayEquals(new int[] {CLS, SEP, SEP}, sample.tokens());
    }

    // ---------------------------------------------------------------- determinism

    @Test
    void sameSeedSameResultAndSerializationKeepsIt() throws Exception {
        Masker masker = smallMasker(20, 0.3, true);
        int[] tokens = {CLS, THE, UN, BELIEV, ABLE, CAT, SAT, SEP, DOG, GY, RAN, ON, MAT, SEP};
        MaskedSample first = masker.mask(tokens, new SeededRandom(42));
        assertEquals(first, masker.mask(tokens, new SeededRandom(42)));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(masker);
        }
        Masker shipped;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            shipped = (Masker) in.readObject();
        }
        assertEquals(first, shipped.mask(tokens, new SeededRandom(42)));

        boolean anyDifferent = false;
        for (long seed : TestSeed.seeds("MaskerTest:477", 10)) {
            anyDifferent |= !first.equals(masker.mask(tokens, new SeededRandom(seed)));
        }
        assertTrue(anyDifferent, "other seeds give other masks");
    }
}
