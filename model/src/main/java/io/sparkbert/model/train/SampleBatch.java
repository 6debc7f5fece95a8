package io.sparkbert.model.train;

import io.sparkbert.model.BertModel;
import io.sparkbert.pipeline.samples.TrainingSample;
import java.io.Serializable;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * A minibatch of pretraining samples as plain Java arrays (what Spark caches and ships; ND4J arrays are
 * made only where the batch is trained or evaluated).
 *
 * <pre>
 * inputIds, tokenTypeIds, attentionMask [B][S]; maskedLmPositions, maskedLmIds [B][P];
 * maskedLmWeights [B][P]; nextSentenceLabel [B]
 * </pre>
 */
public record SampleBatch(int[][] inputIds, int[][] tokenTypeIds, int[][] attentionMask, int[][] maskedLmPositions,
                          int[][] maskedLmIds, float[][] maskedLmWeights, int[] nextSentenceLabel)
        implements Serializable {

    public static SampleBatch of(List<TrainingSample> samples) {
        int b = samples.size();
        int[][] ids = new int[b][];
        int[][] types = new int[b][];
        int[][] mask = new int[b][];
        int[][] positions = new int[b][];
        int[][] labels = new int[b][];
        float[][] weights = new float[b][];
        int[] nsp = new int[b];
        for (int i = 0; i < b; i++) {
            TrainingSample s = samples.get(i);
            ids[i] = s.inputIds();
            types[i] = s.tokenTypeIds();
            mask[i] = s.attentionMask();
            positions[i] = s.maskedLmPositions();
            labels[i] = s.maskedLmIds();
            weights[i] = s.maskedLmWeights();
            nsp[i] = s.nextSentenceLabel();
        }
        return new SampleBatch(ids, types, mask, positions, labels, weights, nsp);
    }

    public int size() {
        return nextSentenceLabel.length;
    }

    /** Real (non-padding) tokens in the batch. */
    public long tokens() {
        long n = 0;
        for (int[] row : attentionMask) {
            for (int a : row) {
                n += a;
            }
        }
        return n;
    }

    /** The batch as {@link BertModel}'s MultiDataSet. */
    public MultiDataSet toMultiDataSet(DataType dataType) {
        return BertModel.toMultiDataSet(inputIds, tokenTypeIds, attentionMask, maskedLmPositions, maskedLmIds,
                maskedLmWeights, nextSentenceLabel, dataType);
    }
}
