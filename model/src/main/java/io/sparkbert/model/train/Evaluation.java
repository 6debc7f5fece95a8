package io.sparkbert.model.train;

import io.sparkbert.model.BertInference;
import java.nio.FloatBuffer;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Held-out metrics, weighted as Google's {@code run_pretraining.py} {@code metric_fn} does:
 *
 * <pre>
 * eval_mlm_accuracy = Σ w·[argmax logits = id] / Σ w          (tf.metrics.accuracy, weights = masked_lm_weights)
 * eval_mlm_loss     = Σ w·(−log softmax(logits)[id]) / Σ w    (tf.metrics.mean, same weights)
 * eval_nsp_accuracy = mean over samples of [argmax = label]
 * eval_nsp_loss     = mean over samples of −log softmax(nsp_logits)[label]
 * </pre>
 *
 * Computed on the driver in double precision from the network's logits (dropout off, {@link BertInference}).
 */
public record Evaluation(double mlmLoss, double mlmAccuracy, double nspLoss, double nspAccuracy, double maskedTokens,
                         long samples) {

    /** This evaluation's line of {@code metrics.jsonl} after {@code step} (ours and the PyTorch peer's). */
    public java.util.Map<String, Object> metricsLine(int step) {
        java.util.Map<String, Object> line = new java.util.LinkedHashMap<>();
        line.put("step", step);
        line.put("eval_mlm_loss", mlmLoss);
        line.put("eval_mlm_accuracy", mlmAccuracy);
        line.put("eval_nsp_loss", nspLoss);
        line.put("eval_nsp_accuracy", nspAccuracy);
        return line;
    }

    /** Evaluates the network behind {@code model} (dropout off) on the batches. */
    public static Evaluation run(BertInference model, List<SampleBatch> batches) {
        Sums sums = new Sums();
        for (SampleBatch batch : batches) {
            BertInference.Outputs out = model.run(Nd4j.createFromArray(batch.inputIds()),
                    Nd4j.createFromArray(batch.tokenTypeIds()), Nd4j.createFromArray(batch.attentionMask()),
                    Nd4j.createFromArray(batch.maskedLmPositions()));
            FloatBuffer mlm = floats(out.mlmLogits());                                          // [B, P, V]
            FloatBuffer nsp = floats(out.nspLogits());                                          // [B, 2]
            int predictions = (int) out.mlmLogits().size(1);
            int vocab = (int) out.mlmLogits().size(2);
            double[] row = new double[vocab];
            for (int b = 0; b < batch.size(); b++) {
                for (int p = 0; p < batch.maskedLmIds()[b].length; p++) {
                    double w = batch.maskedLmWeights()[b][p];
                    if (w == 0) {
                        continue;
                    }
                    int offset = (b * predictions + p) * vocab;
                    for (int v = 0; v < vocab; v++) {
                        row[v] = mlm.get(offset + v);
                    }
                    int label = batch.maskedLmIds()[b][p];
                    sums.addPrediction(w, logSumExp(row) - row[label], argmax(row) == label);
                }
                sums.addPair(nsp.get(2 * b), nsp.get(2 * b + 1), batch.nextSentenceLabel()[b]);
            }
        }
        return sums.result();
    }

    /**
     * The values of {@code array} in C order, read in place where they are floats laid out so (the logits are
     * the largest array of an evaluation: copying them twice per batch cost more than reading them).
     */
    private static FloatBuffer floats(INDArray array) {
        INDArray dense = array.dataType() == DataType.FLOAT && array.ordering() == 'c'
                && Shape.hasDefaultStridesForShape(array) ? array : array.castTo(DataType.FLOAT).dup('c');
        FloatBuffer all = dense.data().asNioFloat();
        all.position((int) dense.offset());
        return all.slice();
    }

    /**
     * The running sums behind the figures, for whoever computes the logits (our model here; the PyTorch peer
     * of {@code bench pretrain} too): one call per real masked prediction and one per sample.
     */
    public static final class Sums {
        private double weightSum;
        private double mlmNll;
        private double mlmCorrect;
        private double nspNll;
        private long nspCorrect;
        private long samples;

        /** A masked prediction of weight {@code w}, its negative log-likelihood, and whether argmax was right. */
        public void addPrediction(double w, double nll, boolean correct) {
            mlmNll += w * nll;
            mlmCorrect += correct ? w : 0;
            weightSum += w;
        }

        /** A sample's NSP logits and label. */
        public void addPair(double notNext0, double next1, int label) {
            double[] pair = {notNext0, next1};
            nspNll += logSumExp(pair) - pair[label];
            nspCorrect += argmax(pair) == label ? 1 : 0;
            samples++;
        }

        public Evaluation result() {
            if (samples == 0) {
                throw new IllegalArgumentException("no evaluation samples");
            }
            return new Evaluation(weightSum == 0 ? Double.NaN : mlmNll / weightSum,
                    weightSum == 0 ? Double.NaN : mlmCorrect / weightSum, nspNll / samples,
                    (double) nspCorrect / samples, weightSum, samples);
        }
    }

    /**
     * Accuracy on the batches of always predicting {@code tokenId} at every masked position (the unigram
     * baseline when {@code tokenId} is the most frequent masked token of the training data).
     */
    public static double constantPredictionAccuracy(List<SampleBatch> batches, int tokenId) {
        double hit = 0;
        double total = 0;
        for (SampleBatch batch : batches) {
            for (int b = 0; b < batch.size(); b++) {
                for (int p = 0; p < batch.maskedLmIds()[b].length; p++) {
                    double w = batch.maskedLmWeights()[b][p];
                    total += w;
                    hit += batch.maskedLmIds()[b][p] == tokenId ? w : 0;
                }
            }
        }
        return total == 0 ? Double.NaN : hit / total;
    }

    static double logSumExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
