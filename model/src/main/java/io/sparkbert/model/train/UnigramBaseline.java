package io.sparkbert.model.train;

import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import scala.Tuple2;

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

    /** Counts the masked tokens of {@code train} (one Spark job) and scores the top one on {@code heldOut}. */
    public static UnigramBaseline of(JavaPairRDD<Long, TrainingSample> train, List<SampleBatch> heldOut, Vocab vocab) {
        Tuple2<Integer, Double> top = train.values()
                .flatMapToPair(s -> {
                    List<Tuple2<Integer, Double>> out = new ArrayList<>();
                    for (int i = 0; i < s.maskedLmIds().length; i++) {
                        if (s.maskedLmWeights()[i] > 0) {
                            out.add(new Tuple2<>(s.maskedLmIds()[i], (double) s.maskedLmWeights()[i]));
                        }
                    }
                    return out.iterator();
                })
                .reduceByKey(Double::sum)
                .max(new TopTokenOrder());
        return new UnigramBaseline(top._1, vocab.token(top._1), top._2,
                Evaluation.constantPredictionAccuracy(heldOut, top._1),
                heldOut.stream().mapToInt(SampleBatch::size).sum());
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

    /** Highest weight first; ties to the lower id, so the baseline does not depend on the partitioning. */
    static final class TopTokenOrder implements Comparator<Tuple2<Integer, Double>>, Serializable {
        @Override
        public int compare(Tuple2<Integer, Double> a, Tuple2<Integer, Double> b) {
            int c = Double.compare(a._2, b._2);
            return c != 0 ? c : Integer.compare(b._1, a._1);
        }
    }
}
