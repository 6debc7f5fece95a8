package io.sparkbert.model.train;

import io.sparkbert.model.BertInference;
import java.nio.FloatBuffer;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

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
 * Computed on the driver from the network's logits (dropout off, {@link BertInference}): each prediction's
 * log-sum-exp and argmax by ND4J's ops in float, as the model computes, the weighted sums in double.
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
            score(model, batch).addTo(sums);
        }
        return sums.result();
    }

    /**
     * One batch's terms of the sums, in the order {@link #run} adds them: batches scored on several threads and
     * added in batch order give {@link #run}'s figures to the last bit.
     *
     * @param weights the weights of the real predictions (weight not 0), in sample and position order
     * @param nll     their negative log-likelihoods
     * @param correct whether their argmax was the label
     * @param nsp     per sample its two NSP logits
     * @param labels  per sample its NSP label
     */
    record BatchScore(double[] weights, double[] nll, boolean[] correct, float[][] nsp, int[] labels) {
        void addTo(Sums sums) {
            for (int i = 0; i < weights.length; i++) {
                sums.addPrediction(weights[i], nll[i], correct[i]);
            }
            for (int b = 0; b < labels.length; b++) {
                sums.addPair(nsp[b][0], nsp[b][1], labels[b]);
            }
        }
    }

    /** The terms one batch adds to the sums ({@link BatchScore}). */
    static BatchScore score(BertInference model, SampleBatch batch) {
        BertInference.Outputs out = model.run(Nd4j.createFromArray(batch.inputIds()),
                Nd4j.createFromArray(batch.tokenTypeIds()), Nd4j.createFromArray(batch.attentionMask()),
                Nd4j.createFromArray(batch.maskedLmPositions()));
        int predictions = (int) out.mlmLogits().size(1);
        int vocab = (int) out.mlmLogits().size(2);
        INDArray logits = dense(out.mlmLogits()).reshape('c', (long) batch.size() * predictions, vocab);
        FloatBuffer nsp = dense(out.nspLogits()).data().asNioFloat();                     // [B, 2]
        // the label's logit first: the log-sum-exp below works in place, over the logits
        FloatBuffer mlm = logits.data().asNioFloat();
        float[] labelLogit = new float[batch.size() * predictions];
        int real = 0;
        for (int b = 0; b < batch.size(); b++) {
            for (int p = 0; p < batch.maskedLmIds()[b].length; p++) {
                int r = b * predictions + p;
                labelLogit[r] = mlm.get(r * vocab + batch.maskedLmIds()[b][p]);
                real += batch.maskedLmWeights()[b][p] != 0 ? 1 : 0;
            }
        }
        RowStatistics rows = RowStatistics.of(logits);
        double[] weights = new double[real];
        double[] nll = new double[real];
        boolean[] correct = new boolean[real];
        float[][] pairs = new float[batch.size()][];
        int i = 0;
        for (int b = 0; b < batch.size(); b++) {
            for (int p = 0; p < batch.maskedLmIds()[b].length; p++) {
                double w = batch.maskedLmWeights()[b][p];
                if (w != 0) {
                    int r = b * predictions + p;
                    weights[i] = w;
                    nll[i] = rows.logSumExp(r) - labelLogit[r];
                    correct[i] = rows.argmax(r) == batch.maskedLmIds()[b][p];
                    i++;
                }
            }
            pairs[b] = new float[]{nsp.get(2 * b), nsp.get(2 * b + 1)};
        }
        return new BatchScore(weights, nll, correct, pairs, batch.nextSentenceLabel().clone());
    }

    /**
     * Per row of a [rows, V] array of logits: the argmax and log Σ exp, by ND4J's vectorised ops (in Java, the
     * exponentials of every logit of every prediction cost a second per evaluation at BERT's vocabulary). The
     * sum is log-sum-exp's stable form, max + log Σ exp(x − max), in float as the model computes; the
     * logits are overwritten.
     */
    record RowStatistics(long[] argmax, float[] max, float[] sumExp) {
        static RowStatistics of(INDArray logits) {
            long[] argmax = logits.argMax(1).toLongVector();
            INDArray max = logits.max(1);
            Transforms.exp(logits.subiColumnVector(max), false);
            return new RowStatistics(argmax, max.toFloatVector(), logits.sum(1).toFloatVector());
        }

        double logSumExp(int row) {
            return max[row] + Math.log(sumExp[row]);
        }

        int argmax(int row) {
            return (int) argmax[row];
        }
    }

    /** {@code array} itself where it is a dense C-ordered float array (the model's outputs are), else such a copy. */
    private static INDArray dense(INDArray array) {
        return array.dataType() == DataType.FLOAT && array.ordering() == 'c' && array.offset() == 0
                && Shape.hasDefaultStridesForShape(array) && array.data().length() == array.length()
                ? array : array.castTo(DataType.FLOAT).dup('c');
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
