package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/** The training data's counts in one pass, and the baseline of its top masked token, worked by hand. */
class UnigramBaselineTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("unigram-baseline")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    private static TrainingSample sample(int[] maskedIds, float[] weights) {
        int[] ids = {2, 10, 11, 12, 3, 0};
        return new TrainingSample(ids, new int[6], new int[] {1, 1, 1, 1, 1, 0}, new int[] {1, 2, 3}, maskedIds,
                weights, 0, 5, 1, 0, 0, 0);
    }

    private static JavaPairRDD<Long, TrainingSample> keyed(List<TrainingSample> samples, int partitions) {
        List<Tuple2<Long, TrainingSample>> list = new ArrayList<>();
        samples.forEach(s -> list.add(new Tuple2<>(PretrainingData.contentKey(s), s)));
        return sc.parallelizePairs(list, partitions);
    }

    @Test
    void theTopMaskedTokenByWeightTiesToTheLowerIdAndIsScoredOnTheHeldOutSet() {
        Vocab vocab = Vocab.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "e", "f",
                "g", "h"));
        // weights per token: 5 -> 1 + 0.5 = 1.5 (its weight-0 predictions count nothing), 7 -> 2, 9 -> 2 (tie: 7)
        List<TrainingSample> train = List.of(
                sample(new int[] {7, 9, 5}, new float[] {1, 1, 0}),
                sample(new int[] {9, 7, 5}, new float[] {1, 1, 1}),
                sample(new int[] {5, 5, 0}, new float[] {0.5f, 0, 0}),
                sample(new int[] {0, 0, 0}, new float[] {0, 0, 0}));
        // held out: predictions 7 (w 1), 3 (w 1), 7 (w 0.5), 7 (w 0): 1.5 of 2.5 right = 0.6
        List<SampleBatch> heldOut = List.of(
                SampleBatch.of(List.of(sample(new int[] {7, 3, 0}, new float[] {1, 1, 0}))),
                SampleBatch.of(List.of(sample(new int[] {7, 7, 0}, new float[] {0.5f, 0, 0}))));
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
