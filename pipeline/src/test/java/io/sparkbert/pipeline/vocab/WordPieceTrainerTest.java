package io.sparkbert.pipeline.vocab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.tokenizer.WordPiece;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class WordPieceTrainerTest {

    /*
     * The classic BPE example, worked by hand with minCount 3.
     *
     * Character counts: l 5+2=7, o 7, w 5+2+6+3=16, e 2+12+3=17, r 2, n 6, s 6+3=9, t 9, i 3, d 3.
     * r (2) is below minCount, so "lower" takes no part in the merges.
     * Alphabet by count, ties by code point: e17 w16 s9 t9 l7 o7 n6 d3 i3.
     *
     * Words: low(5) [l ##o ##w], newest(6) [n ##e ##w ##e ##s ##t], widest(3) [w ##i ##d ##e ##s ##t].
     * Pairs: (l,##o)5 (##o,##w)5 (n,##e)6 (##e,##w)6 (##w,##e)6 (##e,##s)6+3=9 (##s,##t)9
     *        (w,##i)3 (##i,##d)3 (##d,##e)3.
     *  1. 9: (##e,##s) vs (##s,##t): left "##e" < "##s"     -> ##es
     *  2. (##es,##t) 9                                       -> ##est
     *  3. 6: (n,##e) (##e,##w) (##w,##est): "##e" < "##w" < "n" ('#' sorts before letters) -> ##ew
     *  4. 6: (n,##ew) (##ew,##est): "##ew" < "n"             -> ##ewest
     *  5. (n,##ewest) 6                                      -> newest
     *  6. 5: (l,##o) (##o,##w): "##o" < "l"                  -> ##ow
     *  7. (l,##ow) 5                                         -> low
     *  8. 3: (w,##i) (##i,##d) (##d,##est): "##d" first      -> ##dest
     *  9. 3: (w,##i) (##i,##dest): "##i" < "w"               -> ##idest
     * 10. (w,##idest) 3                                      -> widest; no pair is left.
     */
    private static final Map<String, Long> CLASSIC = Map.of("low", 5L, "lower", 2L, "newest", 6L, "widest", 3L);
    private static final List<String> CLASSIC_ALPHABET = List.of(
            "e", "##e", "w", "##w", "s", "##s", "t", "##t", "l", "##l", "o", "##o", "n", "##n", "d", "##d", "i", "##i");

    @Test
    void classicExampleStopsAtTheRequestedSize() {
        WordPieceTrainer.Result result = new WordPieceTrainer(30, 3).train(CLASSIC);

        assertEquals(concat(Vocab.SPECIAL_TOKENS, CLASSIC_ALPHABET,
                List.of("##es", "##est", "##ew", "##ewest", "newest", "##ow", "low")), result.tokens());
        assertEquals(9, result.alphabetSize());
        assertEquals(7, result.merges());
        assertFalse(result.alphabetExceededSize());
    }

    @Test
    void classicExampleRunsOutOfPairs() {
        WordPieceTrainer.Result result = new WordPieceTrainer(100, 3).train(CLASSIC);

        assertEquals(concat(Vocab.SPECIAL_TOKENS, CLASSIC_ALPHABET, List.of(
                "##es", "##est", "##ew", "##ewest", "newest", "##ow", "low", "##dest", "##idest", "widest")),
                result.tokens());
        assertEquals(10, result.merges());
        Vocab vocab = Vocab.of(result.tokens());
        WordPiece wordPiece = new WordPiece(vocab);
        for (String word : List.of("low", "newest", "widest")) {
            assertEquals(List.of(word), wordPiece.pieces(word, vocab));
        }
        assertEquals(List.of(Vocab.UNK), wordPiece.pieces("lower", vocab), "r is below minCount");
    }

    @Test
    void alphabetIsKeptWholeAndReportedWhenItExceedsTheSize() {
        WordPieceTrainer.Result result = new WordPieceTrainer(10, 3).train(CLASSIC);

        assertEquals(concat(Vocab.SPECIAL_TOKENS, CLASSIC_ALPHABET), result.tokens());
        assertEquals(0, result.merges());
        assertTrue(result.alphabetExceededSize());
    }

    /*
     * "[PAD]" (3), minCount 1. All five characters count 3, so the alphabet is in code point order:
     * A D P [ ]. Symbols [ ##P ##A ##D ##], every pair 3; '#' sorts first, then by the letter:
     * (##A,##D) -> ##AD; (##AD,##]) -> ##AD]; (##P,##AD]) -> ##PAD]; ([,##PAD]) -> [PAD], which is
     * already the special token, so four merges add three tokens.
     */
    @Test
    void mergedStringAlreadyInTheVocabularyIsNotAddedAgain() {
        WordPieceTrainer.Result result = new WordPieceTrainer(100, 1).train(Map.of("[PAD]", 3L));

        assertEquals(concat(Vocab.SPECIAL_TOKENS,
                List.of("A", "##A", "D", "##D", "P", "##P", "[", "##[", "]", "##]"),
                List.of("##AD", "##AD]", "##PAD]")), result.tokens());
        assertEquals(4, result.merges());
    }

    @Test
    void specialsFirstThenEveryFrequentCharacterInBothFormsAndSizeRespected() {
        Map<String, Long> counts = syntheticCounts(3000, 7);
        counts.put("jazz", 1L); // j: 1, below minCount; z: 2, kept
        counts.put("quiz", 1L); // q: 1, below minCount; z: 3 in total
        long minCount = 2;

        WordPieceTrainer.Result result = new WordPieceTrainer(1500, minCount).train(counts);
        List<String> tokens = result.tokens();

        assertEquals(1500, tokens.size());
        assertEquals(Vocab.SPECIAL_TOKENS, tokens.subList(0, Vocab.SPECIAL_TOKENS.size()));
        Map<Integer, Long> charCounts = new HashMap<>();
        counts.forEach((word, count) -> word.codePoints().forEach(cp -> charCounts.merge(cp, count, Long::sum)));
        List<String> expectedAlphabet = charCounts.entrySet().stream()
                .filter(e -> e.getValue() >= minCount)
                .sorted(Comparator.comparing(Map.Entry<Integer, Long>::getValue).reversed()
                        .thenComparing(Map.Entry::getKey))
                .flatMap(e -> Stream.of(Character.toString(e.getKey()), "##" + Character.toString(e.getKey())))
                .toList();
        int alphabetEnd = Vocab.SPECIAL_TOKENS.size() + expectedAlphabet.size();
        assertEquals(expectedAlphabet, tokens.subList(Vocab.SPECIAL_TOKENS.size(), alphabetEnd));
        assertEquals(expectedAlphabet.size() / 2, result.alphabetSize());
        assertTrue(expectedAlphabet.contains("z") && expectedAlphabet.contains("##z"));
        for (String rare : List.of("j", "q")) {
            assertFalse(tokens.stream().anyMatch(t -> t.contains(rare)), rare + " is below minCount");
        }
        for (String merged : tokens.subList(alphabetEnd, tokens.size())) {
            String text = merged.startsWith("##") ? merged.substring(2) : merged;
            assertTrue(text.codePointCount(0, text.length()) > 1, merged + " merges at least two characters");
        }
    }

    @Test
    void resultDoesNotDependOnMapOrder() {
        Map<String, Long> counts = syntheticCounts(5000, 11);
        List<String> words = new ArrayList<>(counts.keySet());
        Collections.shuffle(words, new Random(1));
        Map<String, Long> shuffled = new LinkedHashMap<>();
        words.forEach(w -> shuffled.put(w, counts.get(w)));
        Map<String, Long> reversedOrder = new TreeMap<>(Comparator.reverseOrder());
        reversedOrder.putAll(counts);
        WordPieceTrainer trainer = new WordPieceTrainer(2000, 2);

        WordPieceTrainer.Result expected = trainer.train(counts);

        assertEquals(expected, trainer.train(shuffled));
        assertEquals(expected, trainer.train(reversedOrder));
    }

    @Test
    void wordsWithAlphabetCharactersTokeniseWithoutUnknown() {
        Map<String, Long> counts = syntheticCounts(4000, 3);
        counts.put("jab", 1L);
        counts.put("xylo", 2L);
        WordPieceTrainer.Result result = new WordPieceTrainer(1000, 3).train(counts);
        Vocab vocab = Vocab.of(result.tokens());
        WordPiece wordPiece = new WordPiece(vocab);

        for (String word : counts.keySet()) {
            boolean inAlphabet = word.codePoints().allMatch(cp -> vocab.contains(Character.toString(cp)));
            boolean unknown = IntStream.of(wordPiece.encode(word)).anyMatch(id -> id == vocab.unkId());
            assertEquals(!inAlphabet, unknown, word);
        }
        assertFalse(vocab.contains("j"));
        assertFalse(vocab.contains("x"));
    }

    @Test
    void generousSizeMakesEveryWordASingleToken() {
        Map<String, Long> counts = syntheticCounts(2000, 5);
        WordPieceTrainer.Result result = new WordPieceTrainer(1_000_000, 1).train(counts);
        Vocab vocab = Vocab.of(result.tokens());
        WordPiece wordPiece = new WordPiece(vocab);

        assertTrue(result.tokens().size() < 1_000_000, "merging stopped because no pair was left");
        for (String word : counts.keySet()) {
            assertEquals(List.of(word), wordPiece.pieces(word, vocab));
        }
    }

    /*
     * "a😀b" (4), "😀😀" (3), minCount 1. Counts: 😀 4+2*3=10, a 4, b 4: three characters, not the
     * four UTF-16 units. Pairs: (a,##😀)4 (##😀,##b)4 (😀,##😀)3.
     * 1. 4: "##😀" < "a" -> ##😀b;  2. (a,##😀b)4 -> a😀b;  3. (😀,##😀)3 -> 😀😀.
     */
    @Test
    void supplementaryCharacterIsOneCodePoint() {
        WordPieceTrainer.Result result = new WordPieceTrainer(100, 1)
                .train(Map.of("a\uD83D\uDE00b", 4L, "\uD83D\uDE00\uD83D\uDE00", 3L));

        assertEquals(3, result.alphabetSize());
        assertEquals(concat(Vocab.SPECIAL_TOKENS,
                List.of("\uD83D\uDE00", "##\uD83D\uDE00", "a", "##a", "b", "##b"),
                List.of("##\uD83D\uDE00b", "a\uD83D\uDE00b", "\uD83D\uDE00\uD83D\uDE00")), result.tokens());
        Vocab vocab = Vocab.of(result.tokens());
        assertEquals(List.of("a\uD83D\uDE00b"), new WordPiece(vocab).pieces("a\uD83D\uDE00b", vocab));
    }

    /*
     * "！a" (2) and "😀a" (2): ！ is U+FF01 and 😀 U+1F600, but as UTF-16 😀 starts with the
     * surrogate U+D83D, which String.compareTo would put first. Both in the alphabet order (tied
     * at count 2) and in the merge order (tied pairs (！,##a) and (😀,##a)), ！ must come first.
     */
    @Test
    void tiesAreBrokenByCodePointNotByUtf16Unit() {
        WordPieceTrainer.Result result = new WordPieceTrainer(12, 1)
                .train(Map.of("\uFF01a", 2L, "\uD83D\uDE00a", 2L));

        assertEquals(concat(Vocab.SPECIAL_TOKENS,
                List.of("a", "##a", "\uFF01", "##\uFF01", "\uD83D\uDE00", "##\uD83D\uDE00"),
                List.of("\uFF01a")), result.tokens());
    }

    /*
     * Cross-checks the incremental pair bookkeeping against a plain recount of every pair before
     * every merge, on small corpora over a three-letter alphabet so that runs like "aaaa" exercise
     * overlapping pairs and a merged pair next to another occurrence of itself.
     */
    @Test
    void agreesWithNaiveRecountingBpe() {
        Random random = new Random(13);
        for (int corpus = 0; corpus < 200; corpus++) {
            Map<String, Long> counts = new HashMap<>();
            int words = 1 + random.nextInt(30);
            for (int w = 0; w < words; w++) {
                StringBuilder word = new StringBuilder();
                int length = 1 + random.nextInt(8);
                for (int i = 0; i < length; i++) {
                    word.append((char) ('a' + random.nextInt(3)));
                }
                counts.merge(word.toString(), 1L + random.nextInt(5), Long::sum);
            }
            int vocabSize = 11 + random.nextInt(40);
            long minCount = 1 + random.nextInt(3);

            WordPieceTrainer.Result result = new WordPieceTrainer(vocabSize, minCount).train(counts);

            assertEquals(naiveMerges(counts, result, vocabSize), result.tokens(), "corpus " + corpus + ": " + counts);
        }
    }

    /**
     * The vocabulary obtained by recounting all pairs before every merge, starting from the
     * special tokens and alphabet of {@code trained} (the alphabet is checked by other tests).
     * For ASCII words only, where String.compareTo is the code point order.
     */
    private static List<String> naiveMerges(Map<String, Long> counts, WordPieceTrainer.Result trained,
            int vocabSize) {
        List<String> tokens = new ArrayList<>(
                trained.tokens().subList(0, Vocab.SPECIAL_TOKENS.size() + 2 * trained.alphabetSize()));
        List<List<String>> words = new ArrayList<>();
        List<Long> wordCounts = new ArrayList<>();
        counts.forEach((word, count) -> {
            List<String> symbols = IntStream.range(0, word.length())
                    .mapToObj(i -> (i == 0 ? "" : "##") + word.charAt(i)).toList();
            if (tokens.containsAll(symbols)) {
                words.add(new ArrayList<>(symbols));
                wordCounts.add(count);
            }
        });
        while (tokens.size() < vocabSize) {
            Map<List<String>, Long> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> symbols = words.get(w);
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    pairCounts.merge(List.of(symbols.get(i), symbols.get(i + 1)), wordCounts.get(w), Long::sum);
                }
            }
            if (pairCounts.isEmpty()) {
                break;
            }
            List<String> best = pairCounts.entrySet().stream()
                    .min(Comparator.comparing(Map.Entry<List<String>, Long>::getValue).reversed()
                            .thenComparing(e -> e.getKey().get(0))
                            .thenComparing(e -> e.getKey().get(1)))
                    .orElseThrow().getKey();
            String merged = best.get(0) + best.get(1).substring(2);
            if (!tokens.contains(merged)) {
                tokens.add(merged);
            }
            for (List<String> symbols : words) {
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    if (symbols.get(i).equals(best.get(0)) && symbols.get(i + 1).equals(best.get(1))) {
                        symbols.set(i, merged);
                        symbols.remove(i + 1);
                    }
                }
            }
        }
        return tokens;
    }

    @Test
    void alphabetCanComeFromCorpusWideCharacterCounts() {
        // The driver only sees frequent words; 'z' occurred 7 times in rare words left on the executors.
        Map<String, Long> frequentWords = Map.of("ab", 10L);
        Map<Integer, Long> characters = Map.of((int) 'a', 10L, (int) 'b', 10L, (int) 'z', 7L, (int) 'q', 1L);
        WordPieceTrainer.Result result = new WordPieceTrainer(100, 2).train(frequentWords, characters);
        // specials, then a/##a and b/##b (count 10, code point order), z/##z (7), then the one merge "ab"
        List<String> expected = new ArrayList<>(Vocab.SPECIAL_TOKENS);
        expected.addAll(List.of("a", "##a", "b", "##b", "z", "##z", "ab"));
        assertEquals(expected, result.tokens());
        assertEquals(3, result.alphabetSize());
    }

    @Test
    void rejectsInvalidArguments() {
        WordPieceTrainer trainer = new WordPieceTrainer(100, 1);
        assertThrows(IllegalArgumentException.class, () -> trainer.train(Map.of("", 1L)));
        assertThrows(IllegalArgumentException.class, () -> trainer.train(Map.of("two words", 1L)));
        assertThrows(IllegalArgumentException.class, () -> trainer.train(Map.of("word", 0L)));
        assertThrows(IllegalArgumentException.class, () -> new WordPieceTrainer(4, 1));
        assertThrows(IllegalArgumentException.class, () -> new WordPieceTrainer(100, 0));
    }

    @Test
    void largeSyntheticCorpusKeepsInvariants() {
        Map<String, Long> counts = syntheticCounts(50_000, 42);
        int vocabSize = 8000;

        long start = System.nanoTime();
        WordPieceTrainer.Result result = new WordPieceTrainer(vocabSize, 2).train(counts);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("WordPieceTrainer: %d words -> %d tokens, %d merges in %d ms%n",
                counts.size(), result.tokens().size(), result.merges(), elapsedMillis);

        List<String> tokens = result.tokens();
        assertEquals(vocabSize, tokens.size());
        assertEquals(Vocab.SPECIAL_TOKENS, tokens.subList(0, Vocab.SPECIAL_TOKENS.size()));
        int mergedTokens = vocabSize - Vocab.SPECIAL_TOKENS.size() - 2 * result.alphabetSize();
        assertTrue(result.merges() >= mergedTokens);
        Vocab vocab = Vocab.of(tokens); // rejects duplicates and empty tokens
        WordPiece wordPiece = new WordPiece(vocab);
        for (String word : counts.keySet()) {
            assertTrue(IntStream.of(wordPiece.encode(word)).noneMatch(id -> id == vocab.unkId()), word);
        }
        List<String> mostFrequent = counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(20)
                .map(Map.Entry::getKey)
                .toList();
        for (String word : mostFrequent) {
            assertEquals(List.of(word), wordPiece.pieces(word, vocab));
        }
    }

    /**
     * Distinct pronounceable words (so that BPE finds recurring syllables) with Zipf-like counts:
     * the n-th new word gets 1,000,000 / n.
     */
    private static Map<String, Long> syntheticCounts(int distinctWords, long seed) {
        String[] onsets = {"", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
            "st", "tr", "pl", "ch", "sh", "th"};
        String[] nuclei = {"a", "e", "i", "o", "u", "ou", "ea", "y"};
        String[] codas = {"", "n", "r", "s", "t", "l", "ng", "ck", "nd"};
        Random random = new Random(seed);
        Map<String, Long> counts = new HashMap<>();
        while (counts.size() < distinctWords) {
            StringBuilder word = new StringBuilder();
            int syllables = 1 + random.nextInt(4);
            for (int s = 0; s < syllables; s++) {
                word.append(onsets[random.nextInt(onsets.length)])
                        .append(nuclei[random.nextInt(nuclei.length)])
                        .append(codas[random.nextInt(codas.length)]);
            }
            counts.putIfAbsent(word.toString(), 1_000_000L / (counts.size() + 1));
        }
        return counts;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        return Stream.of(parts).flatMap(List::stream).collect(Collectors.toList());
    }
}
