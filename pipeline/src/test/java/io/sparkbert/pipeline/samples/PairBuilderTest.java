package io.sparkbert.pipeline.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Google's create_instances_from_document semantics, checked on hand-worked documents (random choices
 * forced by picking a seed whose first draws have the needed property) and as properties over a
 * random corpus.
 */
class PairBuilderTest {
    private final PairBuilder builder = new PairBuilder();

    // ---------------------------------------------------------------- helpers

    /** maxSeqLength 8 gives max_num_tokens = target_seq_length = 5 when shortSeqProb is 0. */
    private static SampleConfig config(int maxSeqLength, double shortSeqProb, long seed) {
        return new SampleConfig(maxSeqLength, 1, 0.15, shortSeqProb, 10, false, SampleConfig.Truncation.HEAD,
                seed);
    }

    /** The generator PairBuilder uses for (seed, document, dupe): the test replays its draws by hand. */
    private static SeededRandom pairRng(long seed, long documentIndex, int dupe) {
        return new SeededRandom(SeededRandom.seed(seed, documentIndex, dupe, PairBuilder.PURPOSE_PAIRS));
    }

    /** The first run seed whose pair generator's first draws satisfy {@code property}. */
    private static long findSeed(long documentIndex, int dupe, Predicate<SeededRandom> property) {
        for (long seed = 0; seed < 100_000; seed++) {
            if (property.test(pairRng(seed, documentIndex, dupe))) {
                return seed;
            }
        }
        return fail("no seed with the wanted draws");
    }

    /** Google's random document: uniform over the others, replayed as r < self ? r : r + 1. */
    private static long otherDocument(SeededRandom rng, long self, long numDocuments) {
        long r = rng.nextLong(numDocuments - 1);
        return r < self ? r : r + 1;
    }

    private static InstanceDraft real(long doc, int instance, int[] a, int[] b, int target) {
        return new InstanceDraft(doc, 0, instance, a, b, null, target);
    }

    private static InstanceDraft random(long doc, int instance, int[] a, RandomSpan span, int target) {
        return new InstanceDraft(doc, 0, instance, a, null, span, target);
    }

    // ---------------------------------------------------------------- hand-worked drafts

    @Test
    void chunksFillTheTargetAndSplitIntoAAndTheRealB() {
        // target 5; sentence lengths 3,2 | 4,1 | 5: three chunks, each reaching exactly 5 tokens
        int[][] sentences = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9}, {10}, {11, 12, 13, 14, 15}};
        Document doc = new Document(1, sentences);
        long numDocuments = 4;
        // draws: short-seq, a_end=randint(1,1), coin >= 0.5 (real), a_end=randint(1,1), coin >= 0.5 (real),
        // then the last chunk has one sentence: forced random next without a coin (document, start)
        long seed = findSeed(1, 0, r -> {
            r.nextDouble();
            r.nextIntInclusive(1, 1);
            boolean real1 = r.nextDouble() >= 0.5;
            r.nextIntInclusive(1, 1);
            return real1 && r.nextDouble() >= 0.5;
        });
        SeededRandom replay = pairRng(seed, 1, 0);
        replay.nextDouble();
        replay.nextIntInclusive(1, 1);
        replay.nextDouble();
        replay.nextIntInclusive(1, 1);
        replay.nextDouble();
        long randomDocument = otherDocument(replay, 1, numDocuments);
        double start = replay.nextDouble();

        List<InstanceDraft> drafts = builder.build(doc, 0, numDocuments, config(8, 0.0, seed));

        assertEquals(List.of(
                real(1, 0, new int[] {1, 2, 3}, new int[] {4, 5}, 5),
                real(1, 1, new int[] {6, 7, 8, 9}, new int[] {10}, 5),
                random(1, 2, new int[] {11, 12, 13, 14, 15}, new RandomSpan(randomDocument, start, 0), 5)),
                drafts);
        assertNotEquals(1, randomDocument);
    }

    @Test
    void aOneSentenceChunkIsAlwaysRandomNextWithoutACoinDraw() {
        // one sentence of 7 tokens >= target 5: chunk of one sentence, a_end = 1 (no randint), random next
        // forced (Python's `or` skips the 0.5 draw), B must reach 5 - 7 = -2 tokens
        Document doc = new Document(2, new int[][] {{1, 2, 3, 4, 5, 6, 7}});
        for (long seed = 0; seed < 50; seed++) {
            SeededRandom replay = pairRng(seed, 2, 0);
            replay.nextDouble(); // short-seq draw
            long randomDocument = otherDocument(replay, 2, 10);
            double start = replay.nextDouble();

            List<InstanceDraft> drafts = builder.build(doc, 0, 10, config(8, 0.0, seed));

            assertEquals(List.of(random(2, 0, new int[] {1, 2, 3, 4, 5, 6, 7},
                    new RandomSpan(randomDocument, start, -2), 5)), drafts);
            assertTrue(drafts.get(0).isRandomNext());
        }
    }

    @Test
    void putBackMakesTheNextDraftStartAtTheFirstUnusedSentence() {
        // lengths 1,1,1,2 = 5: the whole document is one chunk of 4 sentences
        int[][] sentences = {{10}, {20}, {30}, {40, 41}};
        Document doc = new Document(0, sentences);
        long numDocuments = 3;

        // a_end = 1 and random next: sentences 20, 30, 40-41 are put back; the next chunk is those three
        // (lengths 1,1,2, ends at the last sentence), where a_end = 2 and the coin says real next
        long seed = findSeed(0, 0, r -> {
            r.nextDouble();
            if (r.nextIntInclusive(1, 3) != 1 || !(r.nextDouble() < 0.5)) {
                return false;
            }
            r.nextLong(numDocuments - 1);
            r.nextDouble();
            return r.nextIntInclusive(1, 2) == 2 && r.nextDouble() >= 0.5;
        });
        SeededRandom replay = pairRng(seed, 0, 0);
        replay.nextDouble();
        replay.nextIntInclusive(1, 3);
        replay.nextDouble();
        long randomDocument = otherDocument(replay, 0, numDocuments);
        double start = replay.nextDouble();

        List<InstanceDraft> drafts = builder.build(doc, 0, numDocuments, config(8, 0.0, seed));

        assertEquals(List.of(
                random(0, 0, new int[] {10}, new RandomSpan(randomDocument, start, 4), 5),
                real(0, 1, new int[] {20, 30}, new int[] {40, 41}, 5)), drafts);
    }

    @Test
    void putBackOfPartOfTheChunk() {
        // same document, a_end = 2 and random next: only 30 and 40-41 are put back; the next chunk
        // (lengths 1,2, ends at the last sentence) has a_end = randint(1,1) and a real next by the coin
        int[][] sentences = {{10}, {20}, {30}, {40, 41}};
        Document doc = new Document(0, sentences);
        long numDocuments = 3;
        long seed = findSeed(0, 0, r -> {
            r.nextDouble();
            if (r.nextIntInclusive(1, 3) != 2 || !(r.nextDouble() < 0.5)) {
                return false;
            }
            r.nextLong(numDocuments - 1);
            r.nextDouble();
            r.nextIntInclusive(1, 1);
            return r.nextDouble() >= 0.5;
        });
        SeededRandom replay = pairRng(seed, 0, 0);
        replay.nextDouble();
        replay.nextIntInclusive(1, 3);
        replay.nextDouble();
        long randomDocument = otherDocument(replay, 0, numDocuments);
        double start = replay.nextDouble();

        List<InstanceDraft> drafts = builder.build(doc, 0, numDocuments, config(8, 0.0, seed));

        assertEquals(List.of(
                random(0, 0, new int[] {10, 20}, new RandomSpan(randomDocument, start, 3), 5),
                real(0, 1, new int[] {30}, new int[] {40, 41}, 5)), drafts);
    }

    @Test
    void randomNextOnTheLastChunkPutsBackIntoAForcedRandomNext() {
        // lengths 2,3: one chunk of two sentences; the coin says random, the second sentence is put back
        // and becomes a one-sentence chunk of its own: forced random next, B must reach 5 - 3 = 2 tokens
        Document doc = new Document(5, new int[][] {{1, 2}, {3, 4, 5}});
        long numDocuments = 6;
        long seed = findSeed(5, 0, r -> {
            r.nextDouble();
            r.nextIntInclusive(1, 1);
            return r.nextDouble() < 0.5;
        });
        SeededRandom replay = pairRng(seed, 5, 0);
        replay.nextDouble();
        replay.nextIntInclusive(1, 1);
        replay.nextDouble();
        long doc1 = otherDocument(replay, 5, numDocuments);
        double start1 = replay.nextDouble();
        long doc2 = otherDocument(replay, 5, numDocuments);
        double start2 = replay.nextDouble();

        List<InstanceDraft> drafts = builder.build(doc, 0, numDocuments, config(8, 0.0, seed));

        assertEquals(List.of(
                random(5, 0, new int[] {1, 2}, new RandomSpan(doc1, start1, 3), 5),
                random(5, 1, new int[] {3, 4, 5}, new RandomSpan(doc2, start2, 2), 5)), drafts);
    }

    @Test
    void shortTargetIsRandintTwoToMaxNumTokens() {
        // shortSeqProb 1: random() < 1 always, target = randint(2, 125) as the second draw
        int[][] sentences = IntStream.range(0, 40).mapToObj(s -> new int[] {3 * s, 3 * s + 1, 3 * s + 2})
                .toArray(int[][]::new);
        Document doc = new Document(0, sentences);
        for (long seed = 0; seed < 20; seed++) {
            SeededRandom replay = pairRng(seed, 0, 0);
            replay.nextDouble();
            int target = replay.nextIntInclusive(2, 125);
            List<InstanceDraft> drafts = builder.build(doc, 0, 2, config(128, 1.0, seed));
            for (InstanceDraft draft : drafts) {
                assertEquals(target, draft.targetSeqLength());
            }
        }
        // shortSeqProb 0: always max_num_tokens
        for (InstanceDraft draft : builder.build(doc, 0, 2, config(128, 0.0, 1))) {
            assertEquals(125, draft.targetSeqLength());
        }
    }

    @Test
    void aSingleDocumentCorpusPointsAtItselfWithoutADocumentDraw() {
        Document doc = new Document(0, new int[][] {{1, 2, 3}});
        SeededRandom replay = pairRng(9, 0, 0);
        replay.nextDouble();
        double start = replay.nextDouble(); // no document draw in between
        List<InstanceDraft> drafts = builder.build(doc, 0, 1, config(8, 0.0, 9));
        assertEquals(List.of(random(0, 0, new int[] {1, 2, 3}, new RandomSpan(0, start, 2), 5)), drafts);
    }

    @Test
    void theRandomDocumentIsUniformOverTheOtherDocuments() {
        // a one-sentence document always asks for a random B: one request per dupe
        Document doc = new Document(1, new int[][] {{1, 2, 3}});
        int[] counts = new int[3];
        int n = 3000;
        for (int dupe = 0; dupe < n; dupe++) {
            List<InstanceDraft> drafts = builder.build(doc, dupe, 3, config(8, 0.0, 77));
            counts[(int) drafts.get(0).randomSpan().documentIndex()]++;
        }
        assertEquals(0, counts[1]);
        // each of the two others about 1500 (standard deviation ~27)
        assertTrue(Math.abs(counts[0] - n / 2) < 150, "document 0 chosen " + counts[0]);
        assertTrue(Math.abs(counts[2] - n / 2) < 150, "document 2 chosen " + counts[2]);
    }

    @Test
    void invalidArgumentsAreRejected() {
        Document doc = new Document(3, new int[][] {{1}});
        assertThrows(IllegalArgumentException.class, () -> builder.build(doc, 0, 3, config(8, 0, 1)));
        assertThrows(IllegalArgumentException.class, () -> builder.build(doc, -1, 4, config(8, 0, 1)));
    }

    // ---------------------------------------------------------------- RandomSpan.resolve

    @Test
    void randomSpanAppendsWholeSentencesUntilTheTargetLength() {
        Document target = new Document(7, new int[][] {{1, 2}, {3}, {4, 5, 6}, {7}});
        // 0.5 * 4 = 2: starts at {4,5,6} (3 < 4), then {7} (4 >= 4)
        assertArrayEquals(new int[] {4, 5, 6, 7}, new RandomSpan(7, 0.5, 4).resolve(target));
        // 0.5 * 4 = 2: {4,5,6} already reaches 3
        assertArrayEquals(new int[] {4, 5, 6}, new RandomSpan(7, 0.5, 3).resolve(target));
        // start 0, target 1: the first sentence alone (2 >= 1)
        assertArrayEquals(new int[] {1, 2}, new RandomSpan(7, 0.0, 1).resolve(target));
        // a target <= 0 still takes one whole sentence, as Google's loop extends before it checks
        assertArrayEquals(new int[] {1, 2}, new RandomSpan(7, 0.0, -5).resolve(target));
        // 0.25 * 4 = 1 exactly: starts at {3}
        assertArrayEquals(new int[] {3, 4, 5, 6}, new RandomSpan(7, 0.25, 2).resolve(target));
        // 0.24 * 4 = 0.96: floor is 0
        assertArrayEquals(new int[] {1, 2}, new RandomSpan(7, 0.24, 2).resolve(target));
        // the document ends before the target is reached
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7}, new RandomSpan(7, 0.0, 100).resolve(target));
        assertArrayEquals(new int[] {7}, new RandomSpan(7, 0.99, 100).resolve(target));
        // 1.0 * 4 = 4 is clamped to the last sentence
        assertArrayEquals(new int[] {7}, new RandomSpan(7, 1.0, 1).resolve(target));
    }

    @Test
    void randomSpanChecksItsDocument() {
        Document other = new Document(8, new int[][] {{1}});
        assertThrows(IllegalArgumentException.class, () -> new RandomSpan(7, 0.5, 3).resolve(other));
        assertThrows(IllegalArgumentException.class, () -> new RandomSpan(7, -0.1, 3));
        assertThrows(IllegalArgumentException.class, () -> new RandomSpan(7, Double.NaN, 3));
    }

    @Test
    void aDraftHasExactlyOneKindOfB() {
        RandomSpan span = new RandomSpan(1, 0.5, 3);
        assertThrows(IllegalArgumentException.class,
                () -> new InstanceDraft(0, 0, 0, new int[] {1}, new int[] {2}, span, 5));
        assertThrows(IllegalArgumentException.class,
                () -> new InstanceDraft(0, 0, 0, new int[] {1}, null, null, 5));
        assertThrows(IllegalArgumentException.class,
                () -> new InstanceDraft(0, 0, 0, new int[0], new int[] {2}, null, 5));
        InstanceDraft realNext = new InstanceDraft(0, 0, 0, new int[] {1}, new int[] {2}, null, 5);
        assertFalse(realNext.isRandomNext());
        assertNull(realNext.randomSpan());
    }

    // ---------------------------------------------------------------- properties over a random corpus

    /** A corpus with globally unique token ids: token id t belongs to exactly one place of one document. */
    private static final class Corpus {
        final List<Document> documents = new ArrayList<>();
        final Map<Integer, Long> documentOfToken = new HashMap<>();

        Corpus(int numDocuments, long seed) {
            SeededRandom rng = new SeededRandom(seed);
            int nextToken = 0;
            for (int d = 0; d < numDocuments; d++) {
                int numSentences = 1 + rng.nextInt(40);
                int[][] sentences = new int[numSentences][];
                for (int s = 0; s < numSentences; s++) {
                    sentences[s] = new int[1 + rng.nextInt(60)];
                    for (int t = 0; t < sentences[s].length; t++) {
                        documentOfToken.put(nextToken, (long) d);
                        sentences[s][t] = nextToken++;
                    }
                }
                documents.add(new Document(d, sentences));
            }
        }

        /** The tiny in-memory resolver: what the Spark job does with a join. */
        int[] resolve(RandomSpan span) {
            return span.resolve(documents.get((int) span.documentIndex()));
        }
    }

    private static int[] flatten(int[][] sentences) {
        return Arrays.stream(sentences).flatMapToInt(Arrays::stream).toArray();
    }

    private static final SampleConfig[] PROPERTY_CONFIGS = {
        config(128, 0.1, 12345), config(64, 0.3, 2024), config(512, 0.1, 7),
    };

    @Test
    void everyTokenIsUsedExactlyOncePerDupeInOrder() {
        Corpus corpus = new Corpus(300, 1);
        for (SampleConfig config : PROPERTY_CONFIGS) {
            for (int dupe = 0; dupe < 3; dupe++) {
                for (Document doc : corpus.documents) {
                    List<InstanceDraft> drafts = builder.build(doc, dupe, corpus.documents.size(), config);
                    // A and the real Bs, in draft order, are the document's text: nothing lost, nothing twice
                    int[] used = drafts.stream()
                            .flatMapToInt(d -> IntStream.concat(Arrays.stream(d.tokensA()),
                                    d.tokensB() == null ? IntStream.empty() : Arrays.stream(d.tokensB())))
                            .toArray();
                    assertArrayEquals(flatten(doc.sentences()), used, "document " + doc.index() + " dupe " + dupe);
                    for (int k = 0; k < drafts.size(); k++) {
                        InstanceDraft draft = drafts.get(k);
                        assertEquals(k, draft.instance());
                        assertEquals(doc.index(), draft.documentIndex());
                        assertEquals(dupe, draft.dupe());
                    }
                }
            }
        }
    }

    @Test
    void chunksFollowGooglesRuleAndTheCoinIsFair() {
        Corpus corpus = new Corpus(300, 2);
        int coinFlips = 0;
        int coinRandom = 0;
        for (SampleConfig config : PROPERTY_CONFIGS) {
            for (int dupe = 0; dupe < 3; dupe++) {
                for (Document doc : corpus.documents) {
                    int[][] sentences = doc.sentences();
                    // sentence index of each token and whether it starts its sentence
                    Map<Integer, Integer> sentenceOf = new HashMap<>();
                    for (int s = 0; s < sentences.length; s++) {
                        for (int t : sentences[s]) {
                            sentenceOf.put(t, s);
                        }
                    }
                    for (InstanceDraft draft : builder.build(doc, dupe, corpus.documents.size(), config)) {
                        int first = sentenceOf.get(draft.tokensA()[0]);
                        assertEquals(sentences[first][0], draft.tokensA()[0], "A starts a sentence");
                        // Google's chunk from `first`: until the last sentence or length >= target
                        int end = first;
                        int chunkLength = sentences[first].length;
                        while (end < sentences.length - 1 && chunkLength < draft.targetSeqLength()) {
                            end++;
                            chunkLength += sentences[end].length;
                        }
                        int chunkSize = end - first + 1;
                        if (chunkSize == 1) {
                            assertTrue(draft.isRandomNext(), "a one-sentence chunk is a random next");
                            assertEquals(chunkLength, draft.tokensA().length);
                        } else {
                            // A is 1..chunkSize-1 whole sentences
                            int aLength = 0;
                            int aEnd = 0;
                            while (aLength < draft.tokensA().length) {
                                aLength += sentences[first + aEnd].length;
                                aEnd++;
                            }
                            assertEquals(aLength, draft.tokensA().length, "A is whole sentences");
                            assertTrue(aEnd >= 1 && aEnd <= chunkSize - 1, "a_end in [1, len(chunk) - 1]");
                            if (!draft.isRandomNext()) {
                                assertEquals(chunkLength, aLength + draft.tokensB().length, "B is the chunk's rest");
                            }
                            coinFlips++;
                            if (draft.isRandomNext()) {
                                coinRandom++;
                            }
                        }
                        if (draft.isRandomNext()) {
                            RandomSpan span = draft.randomSpan();
                            assertNotEquals(doc.index(), span.documentIndex(), "random B from another document");
                            assertTrue(span.documentIndex() >= 0 && span.documentIndex() < corpus.documents.size());
                            assertEquals(draft.targetSeqLength() - draft.tokensA().length, span.targetLength());
                        }
                    }
                }
            }
        }
        assertTrue(coinFlips >= 5000, "coin flips " + coinFlips);
        double fraction = (double) coinRandom / coinFlips;
        assertTrue(fraction > 0.45 && fraction < 0.55, "random-next fraction " + fraction + " of " + coinFlips);
    }

    @Test
    void resolvedAndTruncatedPairsFitAndComeFromTheRightDocuments() {
        Corpus corpus = new Corpus(200, 3);
        for (SampleConfig config : PROPERTY_CONFIGS) {
            for (Document doc : corpus.documents) {
                for (InstanceDraft draft : builder.build(doc, 0, corpus.documents.size(), config)) {
                    int[] b = draft.isRandomNext() ? corpus.resolve(draft.randomSpan()) : draft.tokensB();
                    if (draft.isRandomNext()) {
                        long from = draft.randomSpan().documentIndex();
                        assertTrue(b.length >= 1);
                        for (int t : b) {
                            assertEquals(from, corpus.documentOfToken.get(t));
                        }
                        // starts at sentence floor(f * n) of the target document
                        Document target = corpus.documents.get((int) from);
                        int start = (int) Math.floor(draft.randomSpan().startFraction() * target.numSentences());
                        assertEquals(target.sentences()[start][0], b[0]);
                    }
                    SeededRandom rng = new SeededRandom(SeededRandom.seed(config.seed(), doc.index(), 0,
                            draft.instance(), 99));
                    PairTruncation.Pair pair = PairTruncation.truncate(draft.tokensA(), b, config.maxNumTokens(), rng);
                    assertTrue(pair.a().length >= 1 && pair.b().length >= 1);
                    assertTrue(pair.length() <= config.maxNumTokens());
                }
            }
        }
    }

    @Test
    void deterministicPerDupeAndDifferentAcrossDupes() {
        Corpus corpus = new Corpus(200, 4);
        SampleConfig config = PROPERTY_CONFIGS[0];
        int differing = 0;
        List<InstanceDraft> all0 = new ArrayList<>();
        List<InstanceDraft> all1 = new ArrayList<>();
        for (Document doc : corpus.documents) {
            List<InstanceDraft> first = builder.build(doc, 0, corpus.documents.size(), config);
            List<InstanceDraft> again = new PairBuilder().build(doc, 0, corpus.documents.size(), config);
            assertEquals(first, again, "document " + doc.index());
            List<InstanceDraft> dupe1 = builder.build(doc, 1, corpus.documents.size(), config);
            // compare the choices, not the dupe field
            if (!sameChoices(first, dupe1)) {
                differing++;
            }
            all0.addAll(first);
            all1.addAll(dupe1);
        }
        assertFalse(sameChoices(all0, all1));
        assertTrue(differing > corpus.documents.size() * 3 / 4, differing + " documents differ between dupes");
        // and another run seed changes the output too
        SampleConfig otherSeed = config(128, 0.1, 12346);
        List<InstanceDraft> reseeded = new ArrayList<>();
        for (Document doc : corpus.documents) {
            reseeded.addAll(builder.build(doc, 0, corpus.documents.size(), otherSeed));
        }
        assertFalse(sameChoices(all0, reseeded));
    }

    private static boolean sameChoices(List<InstanceDraft> x, List<InstanceDraft> y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (int k = 0; k < x.size(); k++) {
            InstanceDraft a = x.get(k);
            InstanceDraft b = y.get(k);
            if (!Arrays.equals(a.tokensA(), b.tokensA())
                    || !Arrays.equals(a.tokensB(), b.tokensB())
                    || !Objects.equals(a.randomSpan(), b.randomSpan())
                    || a.targetSeqLength() != b.targetSeqLength()) {
                return false;
            }
        }
        return true;
    }
}
