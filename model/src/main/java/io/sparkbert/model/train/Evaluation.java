package io.sparkbert.model.train;

import io.sparkbert.model.BertModel;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
 * Computed on the driver in double precision from the network's logits (dropout-free copy).
 */
public record Evaluation(double mlmLoss, double mlmAccuracy, double nspLoss, double nspAccuracy, double maskedTokens,
                         long samples) {

    /** Evaluates {@code inferenceGraph} (see {@link BertModel#forInference}) on the batches. */
    public static Evaluation run(ComputationGraph inferenceGraph, List<SampleBatch> batches, DataType dataType) {
        double weightSum = 0;
        double mlmNll = 0;
        double mlmCorrect = 0;
        double nspNll = 0;
        long nspCorrect = 0;
        long samples = 0;
        for (SampleBatch batch : batches) {
            MultiDataSet mds = batch.toMultiDataSet(dataType);
            BertModel.Outputs out = BertModel.output(inferenceGraph, mds.getFeatures());
            INDArray mlm = out.mlmLogits().castTo(DataType.DOUBLE);     // [B, P, V]
            INDArray nsp = out.nspLogits().castTo(DataType.DOUBLE);     // [B, 2]
            for (int b = 0; b < batch.size(); b++) {
                for (int p = 0; p < batch.maskedLmIds()[b].length; p++) {
                    double w = batch.maskedLmWeights()[b][p];
                    if (w == 0) {
                        continue;
                    }
                    double[] row = mlm.get(NDArrayIndex.point(b), NDArrayIndex.point(p), NDArrayIndex.all())
                            .toDoubleVector();
                    int label = batch.maskedLmIds()[b][p];
                    mlmNll += w * (logSumExp(row) - row[label]);
                    mlmCorrect += argmax(row) == label ? w : 0;
                    weightSum += w;
                }
                double[] pair = {nsp.getDouble(b, 0), nsp.getDouble(b, 1)};
                int label = batch.nextSentenceLabel()[b];
                nspNll += logSumExp(pair) - pair[label];
                nspCorrect += argmax(pair) == label ? 1 : 0;
                samples++;
            }
        }
        if (samples == 0) {
            throw new IllegalArgumentException("no evaluation samples");
        }
        return new Evaluation(weightSum == 0 ? Double.NaN : mlmNll / weightSum,
                weightSum == 0 ? Double.NaN : mlmCorrect / weightSum, nspNll / samples, (double) nspCorrect / samples,
                weightSum, samples);
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
