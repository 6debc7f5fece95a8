package io.sparkbert.pipeline.vocab;

import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns a BERT vocab.txt from word counts on the Spark driver: the executors count the
 * normalised, pre-tokenised words, and this class turns those counts into subword tokens.
 *
 * <p>The method is HuggingFace's {@code WordPieceTrainer}: BPE training in which every symbol
 * after the first of a word carries the {@code ##} continuation prefix, so the result is directly
 * usable by the greedy longest-match {@link io.sparkbert.pipeline.tokenizer.WordPiece} tokenizer.
 * The vocabulary, in id order, is:
 * <ol>
 *   <li>the special tokens, in the order of {@link Vocab#SPECIAL_TOKENS};</li>
 *   <li>the alphabet: every code point whose total count (word count times occurrences, summed
 *       over all words) is at least {@code minCount}, as the plain character followed by its
 *       {@code ##} form, by descending count, ties by ascending code point. The alphabet is kept
 *       whole even when it alone exceeds the requested size, because a vocabulary lacking a
 *       frequent character would turn every word containing it into {@code [UNK]};</li>
 *   <li>merged tokens, in the order they were learned, until the vocabulary has the requested
 *       size or no adjacent pair is left.</li>
 * </ol>
 *
 * <p>A word starts as its code points, e.g. {@code hello} as {@code [h, ##e, ##l, ##l, ##o]}.
 * Each step merges the most frequent adjacent pair, where a pair's frequency is the sum, over
 * every occurrence in every word, of that word's count. Merging {@code h}+{@code ##e} gives
 * {@code he} and {@code ##l}+{@code ##l} gives {@code ##ll}; within a word, occurrences are merged
 * left to right, so {@code ##l ##l ##l} becomes {@code ##ll ##l}. A merged string that is already in
 * the vocabulary (possible when a word is itself a special token, or a word starts with
 * {@code ##}) is not added again, so a step does not always grow the vocabulary. Symbols are
 * identified by their vocab.txt string, as in HuggingFace, since that is all the file can express.
 *
 * <p><b>Ties</b> are broken by a total order so that the result is reproducible: higher frequency
 * first, then the left symbol's string, then the right symbol's string, both compared code point
 * by code point (not by UTF-16 unit, which would misorder supplementary characters). The result
 * depends only on the counts, never on the iteration order of the map passed in.
 *
 * <p><b>Words containing a character below {@code minCount}</b> take no part in the merges: the
 * tokenizer can only ever turn them into {@code [UNK]}, so their pairs would waste vocabulary
 * slots. Their characters still count towards the alphabet. Unlike HuggingFace's
 * {@code min_frequency}, {@code minCount} only selects the alphabet: rare pairs are still merged
 * while the vocabulary has room.
 *
 * <p><b>Cost.</b> The driver may hold a million distinct words, so pair counts are never
 * recomputed from scratch. Each pair keeps its count and the words it occurs in; a merge rewrites
 * only those words and adjusts the counts of the neighbouring pairs it destroys and creates. The
 * best pair comes from a priority queue with lazy invalidation: every count change pushes a fresh
 * entry, and an entry whose count no longer matches its pair's is discarded when polled.
 */
public final class WordPieceTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(WordPieceTrainer.class);

    /** The size of Google's original English BERT vocabulary. */
    public static final int DEFAULT_VOCAB_SIZE = 30522;
    public static final long DEFAULT_MIN_COUNT = 2;

    private static final int PROGRESS_INTERVAL = 5000;
    private static final int PREFIX_LENGTH = Vocab.CONTINUATION_PREFIX.length();

    private final int vocabSize;
    private final long minCount;

    /**
     * The learned vocabulary.
     *
     * @param tokens               the tokens in id order, ready for {@link Vocab#of(List)}
     * @param alphabetSize         the number of characters kept (each gives two tokens)
     * @param merges               the number of merge steps performed; larger than the number of
     *                             merged tokens when a merged string was already present
     * @param alphabetExceededSize whether the special tokens and the alphabet alone were more than
     *                             the requested size, so that {@code tokens} is larger than asked
     */
    public record Result(List<String> tokens, int alphabetSize, int merges, boolean alphabetExceededSize) {
        public Result {
            tokens = List.copyOf(tokens);
        }
    }

    /**
     * @param vocabSize the requested number of tokens, special tokens included
     * @param minCount  the total count a character needs to enter the alphabet
     */
    public WordPieceTrainer(int vocabSize, long minCount) {
        if (vocabSize < Vocab.SPECIAL_TOKENS.size()) {
            throw new IllegalArgumentException("vocabSize must leave room for the "
                    + Vocab.SPECIAL_TOKENS.size() + " special tokens: " + vocabSize);
        }
        if (minCount < 1) {
            throw new IllegalArgumentException("minCount must be positive: " + minCount);
        }
        this.vocabSize = vocabSize;
        this.minCount = minCount;
    }

    /**
     * Learns the vocabulary.
     *
     * @param wordCounts distinct words (non-empty, without whitespace) and their positive counts
     * @throws IllegalArgumentException for an empty word, a word containing whitespace, or a
     *                                  count that is missing or not positive
     */
    public Result train(Map<String, Long> wordCounts) {
        return train(wordCounts, null);
    }

    /**
     * Learns the vocabulary when the word counts given are only the frequent words of a larger
     * corpus (a Spark job sends the driver the words seen at least minCount times, not every
     * typo): the alphabet then comes from {@code characterCounts}, counted over the whole corpus.
     *
     * @param characterCounts code point to its total count in the corpus, or null to count the
     *                        characters of {@code wordCounts}
     */
    public Result train(Map<String, Long> wordCounts, Map<Integer, Long> characterCounts) {
        String[] words = wordCounts.keySet().toArray(String[]::new);
        for (String word : words) {
            validate(word, wordCounts.get(word));
        }
        // Sorted so that word indices, and with them the logs, do not depend on the map's order.
        Arrays.sort(words);
        long[] counts = new long[words.length];
        for (int w = 0; w < words.length; w++) {
            counts[w] = wordCounts.get(words[w]);
        }
        int[] alphabet = alphabet(characterCounts != null ? characterCounts : characterCounts(words, counts));
        Merger merger = new Merger(alphabet, words, counts);
        LOG.info("Learning a vocabulary of {} tokens from {} distinct words: alphabet of {} characters, "
                + "{} words skipped for characters below minCount {}",
                vocabSize, words.length, alphabet.length, merger.skippedWords, minCount);
        boolean alphabetExceededSize = merger.tokens.size() > vocabSize;
        if (alphabetExceededSize) {
            LOG.warn("The {} special tokens and the {} alphabet tokens already exceed the requested vocabulary "
                    + "size {}; no merges will be learned", Vocab.SPECIAL_TOKENS.size(), 2 * alphabet.length,
                    vocabSize);
        }
        int merges = 0;
        while (merger.tokens.size() < vocabSize && merger.mergeBestPair()) {
            merges++;
            if (merges % PROGRESS_INTERVAL == 0) {
                LOG.info("{} merges, {} tokens", merges, merger.tokens.size());
            }
        }
        LOG.info("Learned {} tokens with {} merges", merger.tokens.size(), merges);
        return new Result(merger.tokens, alphabet.length, merges, alphabetExceededSize);
    }

    private static void validate(String word, Long count) {
        if (word == null || word.isEmpty()) {
            throw new IllegalArgumentException("words must be non-empty: " + word);
        }
        if (word.codePoints().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("words must not contain whitespace: '" + word + "'");
        }
        if (count == null || count < 1) {
            throw new IllegalArgumentException("the count of '" + word + "' must be positive: " + count);
        }
    }

    private static Map<Integer, Long> characterCounts(String[] words, long[] counts) {
        Map<Integer, Long> charCounts = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            long count = counts[w];
            words[w].codePoints().forEach(cp -> charCounts.merge(cp, count, Long::sum));
        }
        return charCounts;
    }

    /** The code points with a total count of at least minCount, in vocabulary order. */
    private int[] alphabet(Map<Integer, Long> charCounts) {
        return charCounts.entrySet().stream()
                .filter(e -> e.getValue() >= minCount)
                .sorted(Map.Entry.<Integer, Long>comparingByValue().reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .mapToInt(Map.Entry::getKey)
                .toArray();
    }

    /** Compares strings code point by code point, unlike {@link String#compareTo}. */
    private static int compareCodePoints(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(i);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            // Equal code points take the same number of chars, so one index serves both strings.
            i += Character.charCount(ca);
        }
        return Integer.compare(a.length(), b.length());
    }

    /** The adjacent symbols (left, right): how often they occur and in which words. */
    private static final class Pair {
        final int left;
        final int right;
        long count;
        /** Every word the pair has occurred in; may also hold words it has since left. */
        final IntList words = new IntList(4);
        /** The merge step that last changed the count, to queue each changed pair once per step. */
        int changedInStep = -1;

        Pair(int left, int right) {
            this.left = left;
            this.right = right;
        }

        void addWord(int word) {
            // A word's updates come together, so this keeps most duplicates out.
            if (words.size() == 0 || words.get(words.size() - 1) != word) {
                words.add(word);
            }
        }
    }

    /** A queued pair and its count when queued; stale once the pair's count has changed. */
    private record Candidate(long count, Pair pair) {
    }

    /** The state of one training run: symbols, words as symbol ids, pair statistics and queue. */
    private static final class Merger {
        /** Symbol id to string; the alphabet's character k has ids 2k (plain) and 2k + 1 (##). */
        final List<String> symbols = new ArrayList<>();
        final Map<String, Integer> symbolIds = new HashMap<>();
        final List<String> tokens = new ArrayList<>(Vocab.SPECIAL_TOKENS);

        /** The words taking part, as symbol ids; merges shorten them in place. */
        final int[][] words;
        final int[] lengths;
        final long[] counts;
        final int skippedWords;

        final Map<Long, Pair> pairs = new HashMap<>();
        final PriorityQueue<Candidate> queue = new PriorityQueue<>(Comparator
                .comparingLong(Candidate::count).reversed()
                .thenComparing((a, b) -> compareCodePoints(symbols.get(a.pair.left), symbols.get(b.pair.left)))
                .thenComparing((a, b) -> compareCodePoints(symbols.get(a.pair.right), symbols.get(b.pair.right))));
        final List<Pair> changed = new ArrayList<>();
        int step;

        /** Splits the words into alphabet symbols, skipping those that cannot be, and counts their pairs. */
        Merger(int[] alphabet, String[] wordStrings, long[] wordCounts) {
            Map<Integer, Integer> alphabetIndex = new HashMap<>();
            for (int k = 0; k < alphabet.length; k++) {
                String character = Character.toString(alphabet[k]);
                alphabetIndex.put(alphabet[k], k);
                addSymbol(character);
                addSymbol(Vocab.CONTINUATION_PREFIX + character);
            }
            words = new int[wordStrings.length][];
            lengths = new int[wordStrings.length];
            counts = new long[wordStrings.length];
            int kept = 0;
            for (int w = 0; w < wordStrings.length; w++) {
                int[] symbolsOfWord = initialSymbols(wordStrings[w], alphabetIndex);
                if (symbolsOfWord == null) {
                    continue;
                }
                words[kept] = symbolsOfWord;
                lengths[kept] = symbolsOfWord.length;
                counts[kept] = wordCounts[w];
                for (int i = 0; i + 1 < symbolsOfWord.length; i++) {
                    adjust(symbolsOfWord[i], symbolsOfWord[i + 1], counts[kept], kept);
                }
                kept++;
            }
            skippedWords = wordStrings.length - kept;
            queueChangedPairs();
        }

        /** The id of a symbol, created (and added to the vocabulary unless already there) if new. */
        int addSymbol(String symbol) {
            Integer existing = symbolIds.get(symbol);
            if (existing != null) {
                return existing;
            }
            int id = symbols.size();
            symbols.add(symbol);
            symbolIds.put(symbol, id);
            if (!Vocab.SPECIAL_TOKENS.contains(symbol)) {
                tokens.add(symbol);
            }
            return id;
        }

        /** The word as alphabet symbol ids, or null when it has a character outside the alphabet. */
        private static int[] initialSymbols(String word, Map<Integer, Integer> alphabetIndex) {
            int[] codePoints = word.codePoints().toArray();
            int[] ids = new int[codePoints.length];
            for (int i = 0; i < codePoints.length; i++) {
                Integer k = alphabetIndex.get(codePoints[i]);
                if (k == null) {
                    return null;
                }
                ids[i] = 2 * k + (i == 0 ? 0 : 1);
            }
            return ids;
        }

        /** Merges the most frequent pair everywhere; false when no pair is left. */
        boolean mergeBestPair() {
            Pair best = pollBestPair();
            if (best == null) {
                return false;
            }
            step++;
            int merged = addSymbol(symbols.get(best.left) + symbols.get(best.right).substring(PREFIX_LENGTH));
            // The merged symbol is longer than both halves, so no update below adds to best.words.
            IntList candidates = best.words;
            for (int i = 0; i < candidates.size(); i++) {
                mergeInWord(candidates.get(i), best.left, best.right, merged);
            }
            queueChangedPairs();
            return true;
        }

        private Pair pollBestPair() {
            Candidate candidate;
            while ((candidate = queue.poll()) != null) {
                if (candidate.count == candidate.pair.count) {
                    return candidate.pair;
                }
            }
            return null;
        }

        /**
         * Replaces each occurrence of (left, right) in the word, left to right, by the merged symbol,
         * moving the counts of the pairs it formed with its neighbours to pairs with the merged symbol.
         * The word is rewritten in place: the write position never passes the read position.
         */
        private void mergeInWord(int word, int left, int right, int merged) {
            int[] symbolsOfWord = words[word];
            int length = lengths[word];
            long count = counts[word];
            int out = 0;
            int in = 0;
            while (in < length) {
                if (in + 1 < length && symbolsOfWord[in] == left && symbolsOfWord[in + 1] == right) {
                    if (out > 0) {
                        int previous = symbolsOfWord[out - 1];
                        adjust(previous, left, -count, word);
                        adjust(previous, merged, count, word);
                    }
                    if (in + 2 < length) {
                        int next = symbolsOfWord[in + 2];
                        adjust(right, next, -count, word);
                        adjust(merged, next, count, word);
                    }
                    adjust(left, right, -count, word);
                    symbolsOfWord[out++] = merged;
                    in += 2;
                } else {
                    symbolsOfWord[out++] = symbolsOfWord[in++];
                }
            }
            lengths[word] = out;
        }

        /** Changes a pair's count by delta for occurrences in the word; a pair at zero is dropped. */
        private void adjust(int left, int right, long delta, int word) {
            long key = (long) left << 32 | right;
            Pair pair = pairs.get(key);
            if (pair == null) {
                pair = new Pair(left, right);
                pairs.put(key, pair);
            }
            pair.count += delta;
            if (delta > 0) {
                pair.addWord(word);
            }
            if (pair.count == 0) {
                pairs.remove(key);
            }
            if (pair.changedInStep != step) {
                pair.changedInStep = step;
                changed.add(pair);
            }
        }

        /** Queues the current count of every pair changed in this step that still occurs. */
        private void queueChangedPairs() {
            for (Pair pair : changed) {
                if (pair.count > 0) {
                    queue.add(new Candidate(pair.count, pair));
                }
            }
            changed.clear();
        }
    }
}
