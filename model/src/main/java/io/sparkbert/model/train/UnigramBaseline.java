package io.sparkbert.model.train;

import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.Serializable;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;

/**
 * The floor a pretraining run must beat: the held-out MLM accuracy of always predicting the training data's
 * most frequent masked token (by {@code masked_lm_weights}). A model at this accuracy has learned the
 * unigram distribution and nothing of the context; the console, the curves and the final summary show
 * the run's accuracy against it.
 *
 * @param tokenId        the most frequent masked token (ties to the lower id)
 * @param trainingWeight its summed weight in the training data
 * @param accuracy       the weighted held-out accuracy of predicting it everywhere
 * @param evalSamples    held-out samples it was measured on
 */
public record UnigramBaseline(int tokenId, String token, double trainingWeight, double accuracy, int evalSamples) {

    /**
     * What one pass over the training samples counts: how many there are, and the summed weight of each masked
     * token. On Spark one job, which also fills the cache of a persisted RDD (the run's first pass over its data).
     *
     * @param maskedTokenWeights by token id, the summed {@code masked_lm_weights} of that token's predictions
     */
    public record TrainingCounts(long samples, double[] maskedTokenWeights) implements Serializable {
        public static TrainingCounts of(JavaPairRDD<Long, TrainingSample> train, int vocabSize) {
            return train.values()
                    .mapPartitions(samples -> List.of(of(samples, vocabSize)).iterator())
                    .treeReduce(TrainingCounts::plus);
        }

        /** The counts of samples the driver holds. */
        public static TrainingCounts of(Iterator<TrainingSample> samples, int vocabSize) {
            double[] weights = new double[vocabSize];
            long n = 0;
            for (; samples.hasNext(); n++) {
                TrainingSample s = samples.next();
                for (int i = 0; i < s.maskedLmIds().length; i++) {
                    weights[s.maskedLmIds()[i]] += s.maskedLmWeights()[i];
                }
            }
            return new TrainingCounts(n, weights);
        }

        TrainingCounts plus(TrainingCounts other) {
            double[] weights = maskedTokenWeights.clone();
            for (int id = 0; id < weights.length; id++) {
                weights[id] += other.maskedTokenWeights[id];
            }
            return new TrainingCounts(samples + other.samples, weights);
        }

        /** The most frequent masked token by weight, ties to the lower id (so not depending on partitioning). */
        int topToken() {
            int top = 0;
            for (int id = 1; id < maskedTokenWeights.length; id++) {
                top = maskedTokenWeights[id] > maskedTokenWeights[top] ? id : top;
            }
            if (maskedTokenWeights[top] <= 0) {
                throw new IllegalArgumentException("the training data has no masked tokens (every masked_lm_weight "
                        + "is 0): there is nothing to pretrain the MLM head on");
            }
            return top;
        }
    }

    /** The baseline of the training data's top masked token ({@link TrainingCounts}), scored on {@code heldOut}. */
    public static UnigramBaseline of(TrainingCounts train, List<SampleBatch> heldOut, Vocab vocab) {
        int top = train.topToken();
        return new UnigramBaseline(top, vocab.token(top), train.maskedTokenWeights()[top],
                Evaluation.constantPredictionAccuracy(heldOut, top), heldOut.stream().mapToInt(SampleBatch::size).sum());
    }

    /** The run directory's {@code unigram_baseline.json}. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("token_id", tokenId);
        json.put("token", token);
        json.put("training_weight", trainingWeight);
        json.put("accuracy", accuracy);
        json.put("eval_samples", evalSamples);
        return json;
    }
}
