package io.sparkbert.pipeline.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkbert.pipeline.TestSeed;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Google's create_instances_from_document semantics with PairBuilder's deliberate difference 6 (a chunk
 * does not close with a single sentence, does not close at sentence len − 2, and a random next at the
 * document's end puts a lone last sentence into A instead of back), checked on hand-worked documents
 * (random choices forced by picking a seed whose first draws have the needed property) and as properties
 * over a random corpus.
 */
@ExtendWith(TestSeed.class)
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
        // target 5; 7 sentences, lengths 3,2 | 6,1 | 4,2,3 (len - 2 = 5):
        //  - i=0: 3; i=1: 5 >= 5 with two sentences, i != 5: the chunk closes, as in Google's rule
        //  - i=2: 6 >= 5 but a lone sentence: it does not close (Google's would, as a forced random next);
        //    i=3: 7 with two sentences: closes
        //  - i=4: 4; i=5: 6 >= 5 with two sentences, but i = len - 2 would leave the last sentence alone:
        //    it does not close (Google's would, and then {19,20,21} would be a forced random next);
        //    i=6: the last sentence closes the chunk of three
        int[][] sentences = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9, 10, 11}, {12}, {13, 14, 15, 16}, {17, 18},
            {19, 20, 21}};
        Document doc = new Document(1, sentences);
        long numDocuments = 4;
        // draws: short-seq, a_end=randint(1,1), coin >= 0.5 (real), a_end=randint(1,1), coin >= 0.5 (real),
        // a_end=randint(1,2) = 2, coin >= 0.5 (real): no random next, so no document or start draw
        long seed = findSeed(1, 0, r -> {
            r.nextDouble();
            r.nextIntInclusive(1, 1);
            boolean real1 = r.nextDouble() >= 0.5;
            r.nextIntInclusive(1, 1);
            boolean real2 = r.nextDouble() >= 0.5;
            boolean aEnd2 = r.nextIntInclusive(1, 2) == 2;
            return real1 && real2 && aEnd2 && r.nextDouble() >= 0.5;
        });

        List<InstanceDraft> drafts = builder.build(doc, 0, numDocuments, config(8, 0.0, seed));

        assertEquals(List.of(
                real(1, 0, new int[] {1, 2, 3}, new int[] {4, 5}, 5),
                real(1, 1, new int[] {6, 7, 8, 9, 10, 11}, new int[] {12}, 5),
                real(1, 2, new int[] {13, 14, 15, 16, 17, 18}, new int[] {19, 20, 21}, 5)),
                drafts);
    }

    @Test
    void aSingleSentenceDocumentIsAForcedRandomNextWithoutACoinDraw() {
        // a one-sentence document is the only way to get a one-sentence chunk: a_end = 1 (no randint),
        // random next forced (Python's `or` skips the 0.5 draw), B must reach target - len(A) tokens.
        // Sentences of 7, 3 and 1 tokens; the plain target 5 and short targets randint(2, 5).
        int[][] shapes = {{1, 2, 3, 4, 5, 6, 7}, {1, 2, 3}, {9}};
        for (int[] sentence : shapes) {
            Document doc = new Document(2, new int[][] {sentence});
            for (double shortSeqProb : new double[] {0.0, 1.0}) {
                for (long seed : TestSeed.seeds("PairBuilderTest:114", 50)) {
                    SeededRandom replay = pairRng(seed, 2, 0);
                    replay.nextDouble(); // short-seq draw: never < 0, always < 1
                    int target = shortSeqProb == 0.0 ? 5 : replay.nextIntInclusive(2, 5);
                    // no randint for a_end, no coin: the document and the start come next
                    long randomDocument = otherDocument(replay, 2, 10);
                    double start = replay.nextDouble();

                    List<InstanceDraft> drafts = builder.build(doc, 0, 10, config(8, shortSeqProb, seed));

                    // e.g. 7 tokens with target 5: B must reach 5 - 7 = -2 tokens
                    assertEquals(List.of(random(2, 0, sentence,
                            new RandomSpan(randomDocument, start, target - sentence.length), target)), drafts);
                }
            }
        }
    }

    @Test
    void aLastSentenceThatWouldBeLeftAloneStaysInTheChunk() {
        long numDocuments = 4;

        // target 5, lengths 2,3,4 (len - 2 = 1): i=1 reaches 5 with two sentences, but closing there would
        // leave {6,7,8,9} alone (Google's rule: a forced random next of its own); the chunk takes it too.
        // draws: short-seq, a_end=randint(1,2) = 2, coin >= 0.5 (real)
        Document doc = new Document(3, new int[][] {{1, 2}, {3, 4, 5}, {6, 7, 8, 9}});
        long seed = findSeed(3, 0, r -> {
            r.nextDouble();
            return r.nextIntInclusive(1, 2) == 2 && r.nextDouble() >= 0.5;
        });
        assertEquals(List.of(real(3, 0, new int[] {1, 2, 3, 4, 5}, new int[] {6, 7, 8, 9}, 5)),
                builder.build(doc, 0, numDocuments, config(8, 0.0, seed)));

        // target 5, five sentences of 6 tokens (len - 2 = 3), each alone longer than the target. Google's
        // rule: five one-sentence chunks, five forced random nexts, no IsNext at all. Here: i=0 is alone,
        // does not close; i=1 closes {s0,s1}; i=2 is alone, does not close; i=3 is len - 2, does not close;
        // i=4 closes {s2,s3,s4}.
        // draws: short-seq, randint(1,1), coin >= 0.5 (real), a_end=randint(1,2) = 1, coin >= 0.5 (real)
        int[][] sentences = {{0, 1, 2, 3, 4, 5}, {10, 11, 12, 13, 14, 15}, {20, 21, 22, 23, 24, 25},
            {30, 31, 32, 33, 34, 35}, {40, 41, 42, 43, 44, 45}};
        Document longSentences = new Document(3, sentences);
        long seed2 = findSeed(3, 0, r -> {
            r.nextDouble();
            r.nextIntInclusive(1, 1);
            boolean real1 = r.nextDouble() >= 0.5;
            return real1 && r.nextIntInclusive(1, 2) == 1 && r.nextDouble() >= 0.5;
        });
        assertEquals(List.of(
                real(3, 0, new int[] {0, 1, 2, 3, 4, 5}, new int[] {10, 11, 12, 13, 14, 15}, 5),
                real(3, 1, new int[] {20, 21, 22, 23, 24, 25},
                        new int[] {30, 31, 32, 33, 34, 35, 40, 41, 42, 43, 44, 45}, 5)),
                builder.build(longSentences, 0, numDocuments, config(8, 0.0, seed2)));
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
    void randomNextOnTheLastChunkPutsTheLoneLastSentenceIntoA() {
        // lengths 2,3: one chunk of two sentences (it ends at the last sentence), a_end = randint(1,1) = 1,
        // the coin says random. Google's rule puts {3,4,5} back, where it becomes a one-sentence chunk and a
        // forced random next. Here it goes into A: one draft, A is the whole document, and B must reach
        // 5 - 5 = 0 tokens. draws: short-seq, randint(1,1), coin < 0.5, document, start; nothing after.
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
        long randomDocument = otherDocument(replay, 5, numDocuments);
        double start = replay.nextDouble();

        List<InstanceDraft> drafts = builder.build(doc, 0, numDocuments, config(8, 0.0, seed));

        assertEquals(List.of(
                random(5, 0, new int[] {1, 2, 3, 4, 5}, new RandomSpan(randomDocument, start, 0), 5)), drafts);

        // a chunk of four: lengths 1,1,1,2 = 5 end at the last sentence; a_end = randint(1,3) = 3 and the
        // coin says random, which would put back only {40,41}: A takes it, B must reach 5 - 5 = 0 tokens.
        // (a_end 1 or 2 put back two or three sentences: see the putBack tests.)
        Document four = new Document(0, new int[][] {{10}, {20}, {30}, {40, 41}});
        long seed2 = findSeed(0, 0, r -> {
            r.nextDouble();
            return r.nextIntInclusive(1, 3) == 3 && r.nextDouble() < 0.5;
        });
        SeededRandom replay2 = pairRng(seed2, 0, 0);
        replay2.nextDouble();
        replay2.nextIntInclusive(1, 3);
        replay2.nextDouble();
        long randomDocument2 = otherDocument(replay2, 0, 3);
        double start2 = replay2.nextDouble();

        assertEquals(List.of(
                random(0, 0, new int[] {10, 20, 30, 40, 41}, new RandomSpan(randomDocument2, start2, 0), 5)),
                builder.build(four, 0, 3, config(8, 0.0, seed2)));
    }

    @Test
    void randomNextInsideTheDocumentStillPutsBackASingleSentence() {
        // target 5, lengths 2,3,2,3 (len - 2 = 2). i=1 reaches 5 with two sentences and is not len - 2:
        // the chunk {1,2},{3,4,5} closes, a_end = randint(1,1) = 1, the coin says random. That chunk does
        // not end at the document's last sentence, so {3,4,5} alone is put back (no A extension).
        // The next chunk starts at i=1: 3; i=2: 5 >= 5 but i = len - 2, so it does not close; i=3 (last)
        // closes {3,4,5},{6,7},{8,9,10}; a_end = randint(1,2) = 1 and the coin says real.
        // draws: short-seq, randint(1,1), coin < 0.5, document, start, randint(1,2) = 1, coin >= 0.5
        Document doc = new Document(2, new int[][] {{1, 2}, {3, 4, 5}, {6, 7}, {8, 9, 10}});
        long numDocuments = 5;
        long seed = findSeed(2, 0, r -> {
            r.nextDouble();
            r.nextIntInclusive(1, 1);
            if (!(r.nextDouble() < 0.5)) {
                return false;
            }
            r.nextLong(numDocuments - 1);
            r.nextDouble();
            return r.nextIntInclusive(1, 2) == 1 && r.nextDouble() >= 0.5;
        });
        SeededRandom replay = pairRng(seed, 2, 0);
        replay.nextDouble();
        replay.nextIntInclusive(1, 1);
        replay.nextDouble();
        long randomDocument = otherDocument(replay, 2, numDocuments);
        double start = replay.nextDouble();

        List<InstanceDraft> drafts = builder.build(doc, 0, numDocuments, config(8, 0.0, seed));

        assertEquals(List.of(
                random(2, 0, new int[] {1, 2}, new RandomSpan(randomDocument, start, 3), 5),
                real(2, 1, new int[] {3, 4, 5}, new int[] {6, 7, 8, 9, 10}, 5)), drafts);
    }

    @Test
    void shortTargetIsRandintTwoToMaxNumTokens() {
        // shortSeqProb 1: random() < 1 always, target = randint(2, 125) as the second draw
        int[][] sentences = IntStream.range(0, 40).mapToObj(s -> new int[] {3 * s, 3 * s + 1, 3 * s + 2})
                .toArray(int[][]::new);
        Document doc = new Document(0, sentences);
        for (long seed : TestSeed.seeds("PairBuilderTest:316", 20)) {
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
            this(numDocuments, seed, 1);
        }

        /** Documents of minSentences..40 sentences of 1..60 tokens. */
        Corpus(int numDocuments, long seed, int minSentences) {
            SeededRandom rng = new SeededRandom(seed);
            int nextToken = 0;
            for (int d = 0; d < numDocuments; d++) {
                int numSentences = minSentences + rng.nextInt(41 - minSentences);
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

    /** Sentences from..to-1 of a document, joined. */
    private static int[] concat(int[][] sentences, int from, int to) {
        return flatten(Arrays.copyOfRange(sentences, from, to));
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
        int lastSentenceInRandomA = 0;
        for (SampleConfig config : PROPERTY_CONFIGS) {
            for (int dupe = 0; dupe < 3; dupe++) {
                for (Document doc : corpus.documents) {
                    List<InstanceDraft> drafts = builder.build(doc, dupe, corpus.documents.size(), config);
                    // A of every draft (random next or not) and the real Bs, in draft order, are the
                    // document's text: nothing lost, nothing twice. A of a random next can now end with the
                    // document's last sentence (put into A rather than back alone), so it is counted too.
                    int[] used = drafts.stream()
                            .flatMapToInt(d -> IntStream.concat(Arrays.stream(d.tokensA()),
                                    d.tokensB() == null ? IntStream.empty() : Arrays.stream(d.tokensB())))
                            .toArray();
                    int[] text = flatten(doc.sentences());
                    assertArrayEquals(text, used, "document " + doc.index() + " dupe " + dupe);
                    for (int k = 0; k < drafts.size(); k++) {
                        InstanceDraft draft = drafts.get(k);
                        assertEquals(k, draft.instance());
                        assertEquals(doc.index(), draft.documentIndex());
                        assertEquals(dupe, draft.dupe());
                        int[] a = draft.tokensA();
                        boolean endsTheDocument = a[a.length - 1] == text[text.length - 1];
                        if (draft.isRandomNext() && doc.numSentences() > 1 && endsTheDocument) {
                            lastSentenceInRandomA++;
                        }
                    }
                }
            }
        }
        // the property is exercised on the new case, not only on Google's
        assertTrue(lastSentenceInRandomA >= 100,
                "random nexts whose A took the last sentence: " + lastSentenceInRandomA);
    }

    @Test
    void chunksFollowTheTwoSentenceRuleAndTheCoinIsFair() {
        Corpus corpus = new Corpus(300, 2);
        int coinFlips = 0;
        int coinRandom = 0;
        int loneSentenceExtended = 0; // chunks whose first sentence alone reached the target
        int lastSentenceKept = 0;     // chunks that reached the target at len - 2 and went on
        int lastSentenceIntoA = 0;    // random nexts at the end whose A took the last sentence
        for (SampleConfig config : PROPERTY_CONFIGS) {
            for (int dupe = 0; dupe < 3; dupe++) {
                for (Document doc : corpus.documents) {
                    int[][] sentences = doc.sentences();
                    int last = sentences.length - 1;
                    // the first sentence not used yet: after the real B, or after A for a random next
                    int first = 0;
                    for (InstanceDraft draft : builder.build(doc, dupe, corpus.documents.size(), config)) {
                        int target = draft.targetSeqLength();
                        assertTrue(first <= last, "a draft after the end of document " + doc.index());
                        // the chunk from `first`: until the last sentence, or until it reaches the target
                        // with at least two sentences and does not end at len - 2
                        int end = first;
                        long chunkLength = sentences[first].length;
                        while (end < last && !(chunkLength >= target && end > first && end != last - 1)) {
                            if (chunkLength >= target) {
                                if (end == first) {
                                    loneSentenceExtended++;
                                } else {
                                    lastSentenceKept++;
                                }
                            }
                            end++;
                            chunkLength += sentences[end].length;
                        }
                        int chunkSize = end - first + 1;
                        // A is the chunk's first a_end whole sentences
                        int aEnd = 0;
                        int aLength = 0;
                        while (aLength < draft.tokensA().length && first + aEnd <= end) {
                            aLength += sentences[first + aEnd].length;
                            aEnd++;
                        }
                        assertArrayEquals(concat(sentences, first, first + aEnd), draft.tokensA(),
                                "A is whole sentences of the chunk");
                        if (chunkSize == 1) {
                            assertEquals(1, sentences.length, "only a one-sentence document has a one-sentence chunk");
                            assertTrue(draft.isRandomNext(), "a one-sentence chunk is a random next");
                        } else {
                            if (aEnd == chunkSize) {
                                // rule 3: drawn a_end = len(chunk) - 1, random next, chunk at the document's end
                                assertTrue(draft.isRandomNext(), "A is the whole chunk only for a random next");
                                assertEquals(last, end, "A is the whole chunk only at the document's end");
                                lastSentenceIntoA++;
                            } else {
                                assertTrue(aEnd >= 1 && aEnd <= chunkSize - 1, "a_end in [1, len(chunk) - 1]");
                                assertFalse(draft.isRandomNext() && end == last && chunkSize - aEnd == 1,
                                        "the last sentence is never put back alone");
                            }
                            if (!draft.isRandomNext()) {
                                assertArrayEquals(concat(sentences, first + aEnd, end + 1), draft.tokensB(),
                                        "B is the chunk's rest");
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
                            assertEquals(target - draft.tokensA().length, span.targetLength());
                        }
                        first = draft.isRandomNext() ? first + aEnd : end + 1;
                    }
                    assertEquals(sentences.length, first, "the drafts cover document " + doc.index());
                }
            }
        }
        // each new rule is exercised
        assertTrue(loneSentenceExtended >= 100, "lone sentences extended " + loneSentenceExtended);
        assertTrue(lastSentenceKept >= 100, "last sentences kept in the chunk " + lastSentenceKept);
        assertTrue(lastSentenceIntoA >= 100, "last sentences put into A " + lastSentenceIntoA);
        assertTrue(coinFlips >= 5000, "coin flips " + coinFlips);
        double fraction = (double) coinRandom / coinFlips;
        assertTrue(fraction > 0.45 && fraction < 0.55, "random-next fraction " + fraction + " of " + coinFlips);
    }

    @Test
    void isNextIsHalfOfTheDraftsOfMultiSentenceDocuments() {
        // Google's rule was biased here: a chunk that reached a (short) target with one sentence, and the
        // document's last sentence left alone or put back alone, were forced random nexts, so IsNext fell
        // below 50% (43.8% on the KJV corpus; 28.1% on this corpus and these configs, whose sentences are
        // often longer than the short targets, measured with the previous PairBuilder). Now every chunk of a
        // document with at least two sentences has two sentences, each draft's coin is fair whatever came
        // before (Wald: E[IsNext] = 0.5 E[drafts]), and the coin alone decides: 50%.
        Corpus corpus = new Corpus(400, 5, 2);
        SampleConfig[] configs = {config(32, 0.5, 11), config(64, 0.3, 2024), config(128, 0.1, 12345)};
        int drafts = 0;
        int isNext = 0;
        for (SampleConfig config : configs) {
            for (int dupe = 0; dupe < 5; dupe++) {
                for (Document doc : corpus.documents) {
                    for (InstanceDraft draft : builder.build(doc, dupe, corpus.documents.size(), config)) {
                        drafts++;
                        if (!draft.isRandomNext()) {
                            isNext++;
                        }
                    }
                }
            }
        }
        // standard deviation 0.5 / sqrt(drafts), at most 0.0035 for 20000 drafts: 0.02 is > 5 of them
        assertTrue(drafts >= 20_000, "drafts " + drafts);
        double fraction = (double) isNext / drafts;
        assertEquals(0.5, fraction, 0.02, "IsNext fraction " + fraction + " of " + drafts);
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
