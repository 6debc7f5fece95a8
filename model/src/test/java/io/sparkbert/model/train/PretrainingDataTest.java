package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.samples.Masker;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.samples.SeededRandom;
import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * The training data order: independent of partitioning, a fresh shuffle per epoch, rounds as specified; and what
 * one pass counts of it.
 */
class PretrainingDataTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("pretraining-data")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    private static JavaPairRDD<Long, TrainingSample> keyed(List<TrainingSample> samples, int partitions) {
        List<Tuple2<Long, TrainingSample>> list = new ArrayList<>();
        for (TrainingSample s : samples) {
            list.add(new Tuple2<>(PretrainingData.contentKey(s), s));
        }
        return sc.parallelizePairs(list, partitions);
    }

    /** Batches keyed by their index in the list, as global batches are. */
    private static JavaPairRDD<Long, SampleBatch> byGlobalIndex(List<SampleBatch> batches, int partitions) {
        List<Tuple2<Long, SampleBatch>> list = new ArrayList<>();
        for (int i = 0; i < batches.size(); i++) {
            list.add(new Tuple2<>((long) i, batches.get(i)));
        }
        return sc.parallelizePairs(list, partitions);
    }

    private static List<String> describe(JavaPairRDD<Long, SampleBatch> batches) {
        List<String> out = new ArrayList<>();
        for (Tuple2<Long, SampleBatch> kv : batches.sortByKey().collect()) {
            out.add(kv._1 + ":" + Arrays.deepToString(kv._2.inputIds()) + Arrays.deepToString(kv._2.maskedLmIds()));
        }
        return out;
    }

    @Test
    void epochBatchesDoNotDependOnPartitioningAndReshufflePerEpoch() {
        List<TrainingSample> samples = TinyBatches.samples(103, 1);
        List<String> one = describe(PretrainingData.epochBatches(keyed(samples, 1), 7, 0, 10, 103, null, 1));
        List<String> five = describe(PretrainingData.epochBatches(keyed(samples, 5), 7, 0, 10, 103, null, 3));
        assertEquals(one, five);
        assertEquals(10, one.size(), "103 samples make 10 full batches of 10 (the remainder is dropped)");
        List<String> nextEpoch = describe(PretrainingData.epochBatches(keyed(samples, 5), 7, 1, 10, 103, null, 3));
        assertNotEquals(one, nextEpoch);
        List<String> otherSeed = describe(PretrainingData.epochBatches(keyed(samples, 5), 8, 0, 10, 103, null, 3));
        assertNotEquals(one, otherSeed);
        // every sample at most as often as it is in the input (random tiny samples repeat), 100 of 103 used
        java.util.Map<Long, Integer> available = new java.util.HashMap<>();
        for (TrainingSample s : samples) {
            available.merge(PretrainingData.contentKey(s), 1, Integer::sum);
        }
        int used = 0;
        for (Tuple2<Long, SampleBatch> kv : PretrainingData.epochBatches(keyed(samples, 2), 7, 0, 10, 103, null, 2).collect()) {
            SampleBatch b = kv._2;
            for (int i = 0; i < b.size(); i++) {
                TrainingSample s = new TrainingSample(b.inputIds()[i], b.tokenTypeIds()[i], b.attentionMask()[i],
                        b.maskedLmPositions()[i], b.maskedLmIds()[i], b.maskedLmWeights()[i], b.nextSentenceLabel()[i],
                        0, 0, 0, 0, 0);
                assertTrue(available.merge(PretrainingData.contentKey(s), -1, Integer::sum) >= 0);
                used++;
            }
        }
        assertEquals(100, used);
    }

    /**
     * Spark's epochs against the reference epoch ({@link #referenceEpoch}), with stored and dynamic masks.
     * Partitionings with one bin per few samples, with more epoch partitions than batches, and with bins on every
     * partition edge.
     */
    @Test
    void epochBatchesAreAllSamplesSortedByEpochKeyCutIntoBatches() {
        List<TrainingSample> samples = TinyBatches.samples(503, 6);
        Masker masker = tinyMasker();
        for (boolean dynamic : new boolean[]{false, true}) {
            for (int epoch : new int[]{0, 3}) {
                List<String> expected = referenceEpoch(samples, epoch, dynamic ? masker : null);
                for (int[] layout : new int[][]{{1, 1}, {4, 3}, {3, 7}, {2, 64}}) {
                    org.apache.spark.broadcast.Broadcast<Masker> broadcast = dynamic ? sc.broadcast(masker) : null;
                    JavaPairRDD<Long, SampleBatch> epochBatches = PretrainingData.epochBatches(
                            keyed(samples, layout[0]), 7, epoch, 10, 503, broadcast, layout[1]);
                    assertEquals(layout[1], epochBatches.getNumPartitions());
                    List<String> actual = new ArrayList<>();
                    for (Tuple2<Long, SampleBatch> kv : epochBatches.sortByKey().collect()) {
                        actual.add(kv._1 + ":" + describe(kv._2));
                    }
                    assertEquals(expected, actual, "dynamic " + dynamic + ", epoch " + epoch + ", "
                            + layout[0] + " input partitions, " + layout[1] + " epoch partitions");
                }
            }
        }
        IllegalStateException changed = assertThrows(IllegalStateException.class,
                () -> PretrainingData.epochBatches(keyed(samples, 2), 7, 0, 10, 504, null, 3));
        assertTrue(changed.getMessage().contains("number 503, not the 504 counted before"), changed.getMessage());
    }

    /**
     * The driver's epochs ({@link DriverEpochs}) against the same reference: batches asked for a round at a time,
     * across an epoch's end (batch 50 of 503 samples is epoch 1's first), after a later epoch, and from two threads
     * at once, as the training loop asks for the next round while one trains.
     */
    @Test
    void theDriversEpochsAreTheReferenceBatchesToo() throws Exception {
        List<TrainingSample> samples = TinyBatches.samples(503, 6);
        List<Tuple2<Long, TrainingSample>> keyed = new ArrayList<>();
        for (TrainingSample s : samples) {
            keyed.add(new Tuple2<>(PretrainingData.contentKey(s), s));
        }
        java.util.Collections.reverse(keyed);     // the order they are held in does not matter
        for (Masker masker : new Masker[]{null, tinyMasker()}) {
            List<String> expected = new ArrayList<>();
            for (int epoch = 0; epoch < 4; epoch++) {
                for (String batch : referenceEpoch(samples, epoch, masker)) {
                    int colon = batch.indexOf(':');
                    expected.add((epoch * 50 + Integer.parseInt(batch.substring(0, colon))) + batch.substring(colon));
                }
            }
            DriverEpochs epochs = new DriverEpochs(keyed, 7, 10, masker);
            for (long[] range : new long[][]{{0, 6}, {46, 54}, {54, 60}, {150, 200}, {150, 152}}) {
                assertEquals(expected.subList((int) range[0], (int) range[1]), describe(range[0],
                        epochs.batches(range[0], range[1])), "batches " + range[0] + " to " + range[1]);
            }
            assertEquals(expected.subList(0, 3), describe(0, epochs.batches(0, 3)), "a forgotten epoch sorted again");
            DriverEpochs concurrent = new DriverEpochs(keyed, 7, 10, masker);
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                var next = other.submit(() -> concurrent.batches(50, 60));
                List<SampleBatch> here = concurrent.batches(40, 50);
                assertEquals(expected.subList(40, 50), describe(40, here));
                assertEquals(expected.subList(50, 60), describe(50, next.get()));
            } finally {
                other.shutdownNow();
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new DriverEpochs(keyed.subList(0, 9), 7, 10, null));
    }

    private static List<String> describe(long first, List<SampleBatch> batches) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < batches.size(); i++) {
            out.add((first + i) + ":" + describe(batches.get(i)));
        }
        return out;
    }

    /**
     * The reference epoch, computed here: all samples sorted by their epoch key, seed(run seed 7, epoch, content key),
     * cut into batches of 10 (the rest dropped), each sample re-masked with seed(7, epoch, content key, 0x3A5C) when
     * a masker is given.
     */
    private static List<String> referenceEpoch(List<TrainingSample> samples, int epoch, Masker masker) {
        List<TrainingSample> byEpochKey = new ArrayList<>(samples);
        byEpochKey.sort(java.util.Comparator.comparingLong(
                s -> SeededRandom.seed(7, epoch, PretrainingData.contentKey(s))));
        List<String> expected = new ArrayList<>();
        for (int b = 0; b < samples.size() / 10; b++) {
            List<TrainingSample> members = new ArrayList<>();
            for (TrainingSample s : byEpochKey.subList(10 * b, 10 * b + 10)) {
                members.add(masker != null ? masker.remask(s, new SeededRandom(SeededRandom.seed(7, epoch,
                        PretrainingData.contentKey(s), 0x3A5CL))) : s);
            }
            expected.add(b + ":" + describe(SampleBatch.of(members)));
        }
        return expected;
    }

    private static Masker tinyMasker() {
        return new Masker(tinyVocab(), new SampleConfig(TinyBatches.SEQ, TinyBatches.PREDICTIONS, 0.3, 0.1,
                1, false, SampleConfig.Truncation.HEAD, 0));
    }

    private static String describe(SampleBatch b) {
        return Arrays.deepToString(b.inputIds()) + Arrays.deepToString(b.maskedLmPositions())
                + Arrays.deepToString(b.maskedLmIds()) + Arrays.toString(b.nextSentenceLabel());
    }

    private static Vocab tinyVocab() {
        List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (int i = 5; i < 30; i++) {
            tokens.add("w" + i);
        }
        return Vocab.of(tokens);
    }

    @Test
    void theHeldOutSetIsTheFirstSamplesByContentKeyInBatchesWhateverThePartitioning() {
        List<TrainingSample> samples = TinyBatches.samples(103, 3);
        // expected: every sample's key computed here, sorted, the first 45 cut into batches of 10 (the last of 5)
        List<TrainingSample> byKey = new ArrayList<>(samples);
        byKey.sort(java.util.Comparator.comparingLong(PretrainingData::contentKey));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 45; i += 10) {
            expected.add(Arrays.deepToString(SampleBatch.of(byKey.subList(i, Math.min(45, i + 10))).inputIds()));
        }
        for (int partitions : new int[]{1, 4, 7}) {
            List<SampleBatch> batches = PretrainingData.heldOutBatches(keyed(samples, partitions), 45, 10);
            assertEquals(expected, batches.stream().map(b -> Arrays.deepToString(b.inputIds())).toList(),
                    partitions + " partitions");
        }
        assertEquals(11, PretrainingData.heldOutBatches(keyed(samples, 3), 1000, 10).size(),
                "fewer samples than asked for: all of them, 103 in 11 batches");
    }

    @Test
    void aRoundGivesEachWorkerItsConsecutiveBatchesInOrder() {
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(40, 2), 2);
        JavaPairRDD<Long, SampleBatch> all = byGlobalIndex(batches, 3);
        // round starting at global batch 6, 2 workers x 3 steps: worker 0 gets 6,7,8 and worker 1 gets 9,10,11
        List<List<SampleBatch>> parts = PretrainingData.round(all, 6, 2, 3).glom().collect();
        assertEquals(2, parts.size());
        for (int w = 0; w < 2; w++) {
            assertEquals(3, parts.get(w).size());
            for (int k = 0; k < 3; k++) {
                assertArrayEquals(batches.get(6 + w * 3 + k).inputIds(), parts.get(w).get(k).inputIds());
            }
        }
    }

    /**
     * In the driver a round's batches are put in order without Spark's shuffle: the same lists as the cluster's
     * partitions, whether collected here or on another thread while something else runs.
     */
    @Test
    void aRoundCollectedToTheDriverEqualsTheClustersLayoutAndReportsTheJobsFailure() {
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(40, 2), 2);
        JavaPairRDD<Long, SampleBatch> all = byGlobalIndex(batches, 3);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            List<String> cluster = ids(RoundBatches.onSpark(all, 6, 2, 3).partitions().glom().collect());
            List<String> expected = ids(List.of(batches.subList(6, 9), batches.subList(9, 12)));
            assertEquals(expected, cluster);
            assertEquals(expected, ids(RoundBatches.onSpark(all, 6, 2, 3).perWorker()));
            RoundBatches prefetched = RoundBatches.onSpark(all, 6, 2, 3).prefetch(thread);
            assertEquals(expected, ids(prefetched.perWorker()));
            assertEquals(expected, ids(prefetched.perWorker()), "asked twice: the same collection");

            JavaPairRDD<Long, SampleBatch> failing = all.mapValues(b -> {
                throw new IllegalStateException("a broken batch");
            });
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> RoundBatches.onSpark(failing, 6, 2, 3).prefetch(thread).perWorker());
            assertTrue(e.getMessage().contains("a broken batch"), e.getMessage());
            IllegalStateException shortRound = assertThrows(IllegalStateException.class,
                    () -> RoundBatches.onSpark(all, 16, 2, 3).perWorker());
            assertTrue(shortRound.getMessage().contains("needs 6 batches, the data gave 4"), shortRound.getMessage());
        } finally {
            thread.shutdownNow();
        }
    }

    private static List<String> ids(List<List<SampleBatch>> perWorker) {
        return perWorker.stream().map(part -> part.stream().map(b -> Arrays.deepToString(b.inputIds())).toList()
                .toString()).toList();
    }

    @Test
    void aRoundReadsOnlyThePartitionsOfTheEpochThatHoldItsBatches() {
        List<TrainingSample> samples = TinyBatches.samples(203, 3);
        // 20 batches of 10 in 5 partitions: batches 0-3, 4-7, 8-11, 12-15, 16-19
        JavaPairRDD<Long, SampleBatch> epoch = PretrainingData.epochBatches(keyed(samples, 3), 7, 0, 10, 203, null, 5)
                .mapToPair(kv -> new Tuple2<>(kv._1 + 100, kv._2)).cache();
        List<List<Tuple2<Long, SampleBatch>>> layout = epoch.glom().collect();
        assertEquals(5, layout.size());
        for (int p = 0; p < 5; p++) {
            List<Long> keys = layout.get(p).stream().map(kv -> kv._1).sorted().toList();
            assertEquals(List.of(100L + 4 * p, 101L + 4 * p, 102L + 4 * p, 103L + 4 * p), keys, "partition " + p);
        }
        // global batches 106-111 (2 workers x 3 steps) are in partitions 1 and 2 only
        JavaPairRDD<Long, SampleBatch> held = PretrainingData.partitionsHolding(epoch, 100, 20, 106, 112);
        assertEquals(2, held.getNumPartitions());
        assertEquals(describe(epoch.filter(kv -> kv._1 >= 104 && kv._1 < 112)), describe(held));
        assertEquals(ids(PretrainingData.round(epoch, 106, 2, 3).glom().collect()),
                ids(PretrainingData.round(held, 106, 2, 3).glom().collect()));
        // a round inside one partition reads one; a range past the epoch is refused
        assertEquals(1, PretrainingData.partitionsHolding(epoch, 100, 20, 116, 120).getNumPartitions());
        assertThrows(IllegalArgumentException.class, () -> PretrainingData.partitionsHolding(epoch, 100, 20, 120, 126));
    }

    @Test
    void epochPartitionsHoldAFewRoundsEach() {
        // 62,500 batches, 20 per round: 8 rounds = 160 batches a partition -> 391 partitions
        assertEquals(391, PretrainingData.epochPartitions(62_500, 20, 4, 2));
        assertEquals(4, PretrainingData.epochPartitions(553, 20, 1, 2));
        // never fewer than the input's partitions or the workers
        assertEquals(6, PretrainingData.epochPartitions(553, 20, 6, 2));
        assertEquals(8, PretrainingData.epochPartitions(553, 80, 1, 8));
    }

    @Test
    void heldOutSplitKeepsTheMaskedCopiesOfAPairTogether() {
        List<TrainingSample> samples = TinyBatches.samples(400, 3);
        int heldOut = 0;
        for (TrainingSample s : samples) {
            // another masking of the same pair: restore the original tokens, mask another position
            int[] original = s.unmaskedTokens();
            int[] ids = Arrays.copyOf(original, s.inputIds().length);
            int position = s.maskedLmPositions()[0] == 1 ? 2 : 1;
            int[] positions = {position, 0};
            int[] labels = {ids[position], 0};
            ids[position] = 4;
            TrainingSample copy = new TrainingSample(ids, s.tokenTypeIds(), s.attentionMask(), positions, labels,
                    new float[] {1f, 0f}, s.nextSentenceLabel(), s.length(), 1, 0, 0, 0);
            assertNotEquals(PretrainingData.contentKey(s), PretrainingData.contentKey(copy));
            assertEquals(PretrainingData.isHeldOut(s, 0.2, 9), PretrainingData.isHeldOut(copy, 0.2, 9));
            heldOut += PretrainingData.isHeldOut(s, 0.2, 9) ? 1 : 0;
        }
        assertTrue(heldOut > 40 && heldOut < 120, "about 20% held out: " + heldOut);
    }

    @Test
    void dynamicMaskingMasksTheOriginalPairAgain() {
        Masker masker = tinyMasker();
        for (TrainingSample s : TinyBatches.samples(50, 4)) {
            TrainingSample again = masker.remask(s, new SeededRandom(SeededRandom.seed(1, PretrainingData.contentKey(s))));
            assertArrayEquals(s.unmaskedTokens(), again.unmaskedTokens());
            assertArrayEquals(s.attentionMask(), again.attentionMask());
            assertEquals(s.nextSentenceLabel(), again.nextSentenceLabel());
            for (int i = 0; i < again.maskedLmPositions().length; i++) {
                if (again.maskedLmWeights()[i] > 0) {
                    int p = again.maskedLmPositions()[i];
                    assertTrue(p > 0 && p < s.length(), "predicted position inside the sample");
                }
            }
        }
    }

    @Test
    void contentKeyIgnoresNothingThatMatters() {
        TrainingSample s = TinyBatches.samples(1, 5).get(0);
        TrainingSample otherLabel = new TrainingSample(s.inputIds(), s.tokenTypeIds(), s.attentionMask(),
                s.maskedLmPositions(), s.maskedLmIds(), s.maskedLmWeights(), 1 - s.nextSentenceLabel(), s.length(), 0,
                0, 0, 0);
        assertNotEquals(PretrainingData.contentKey(s), PretrainingData.contentKey(otherLabel));
        assertEquals(PretrainingData.contentKey(s), PretrainingData.contentKey(new TrainingSample(s.inputIds().clone(),
                s.tokenTypeIds(), s.attentionMask(), s.maskedLmPositions(), s.maskedLmIds(), s.maskedLmWeights(),
                s.nextSentenceLabel(), 0, 9, 9, 9, 42)), "bookkeeping fields are not part of the identity");
    }

    private static TrainingSample maskedSample(int[] maskedIds, float[] weights) {
        int[] ids = {2, 10, 11, 12, 3, 0};
        return new TrainingSample(ids, new int[6], new int[] {1, 1, 1, 1, 1, 0}, new int[] {1, 2, 3}, maskedIds,
                weights, 0, 5, 1, 0, 0, 0);
    }

    /** The training data's counts in one pass, and the baseline of its top masked token, worked by hand. */
    @Test
    void theTopMaskedTokenByWeightTiesToTheLowerIdAndIsScoredOnTheHeldOutSet() {
        Vocab vocab = Vocab.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "e", "f",
                "g", "h"));
        // weights per token: 5 -> 1 + 0.5 = 1.5 (its weight-0 predictions count nothing), 7 -> 2, 9 -> 2 (tie: 7)
        List<TrainingSample> train = List.of(
                maskedSample(new int[] {7, 9, 5}, new float[] {1, 1, 0}),
                maskedSample(new int[] {9, 7, 5}, new float[] {1, 1, 1}),
                maskedSample(new int[] {5, 5, 0}, new float[] {0.5f, 0, 0}),
                maskedSample(new int[] {0, 0, 0}, new float[] {0, 0, 0}));
        // held out: predictions 7 (w 1), 3 (w 1), 7 (w 0.5), 7 (w 0): 1.5 of 2.5 right = 0.6
        List<SampleBatch> heldOut = List.of(
                SampleBatch.of(List.of(maskedSample(new int[] {7, 3, 0}, new float[] {1, 1, 0}))),
                SampleBatch.of(List.of(maskedSample(new int[] {7, 7, 0}, new float[] {0.5f, 0, 0}))));
        for (int partitions : new int[] {1, 3}) {
            UnigramBaseline.TrainingCounts counts = UnigramBaseline.TrainingCounts.of(keyed(train, partitions),
                    vocab.size());
            assertEquals(4, counts.samples());
            assertEquals(1.5, counts.maskedTokenWeights()[5]);
            assertEquals(2.0, counts.maskedTokenWeights()[9]);
            UnigramBaseline baseline = UnigramBaseline.of(counts, heldOut, vocab);
            assertEquals(7, baseline.tokenId(), partitions + " partitions");
            assertEquals("c", baseline.token());
            assertEquals(2.0, baseline.trainingWeight());
            assertEquals(0.6, baseline.accuracy(), 1e-12);
            assertEquals(2, baseline.evalSamples());
        }

        UnigramBaseline.TrainingCounts nothingMasked = UnigramBaseline.TrainingCounts.of(
                keyed(List.of(train.get(3)), 1), vocab.size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UnigramBaseline.of(nothingMasked, heldOut, vocab));
        assertTrue(e.getMessage().contains("no masked tokens"), e.getMessage());
    }
}
