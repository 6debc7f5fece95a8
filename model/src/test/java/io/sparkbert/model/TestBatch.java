package io.sparkbert.model;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fixed pretraining batch the model tests share (BertModelTest, BertPretrainingTest). */
final class TestBatch {
    /** Sequence length and masked positions a sample of {@link #columns()}. */
    static final int S = 8;
    static final int P = 2;

    private TestBatch() {
    }

    /**
     * B=4, S=8, P=2, vocab 20 (0 = [PAD]), padding at the end of three samples; a new copy each call, in the
     * order of {@link BertPretraining#INPUT_NAMES}: ids, token types, attention mask, masked positions, their
     * ids and weights, and the NSP labels.
     */
    static INDArray[] columns() {
        INDArray ids = Nd4j.create(new double[][] {
                {1, 5, 6, 7, 2, 8, 9, 2}, {1, 10, 11, 2, 12, 2, 0, 0},
                {1, 13, 14, 15, 2, 16, 2, 0}, {1, 17, 18, 2, 19, 4, 2, 0}});
        INDArray types = Nd4j.create(new double[][] {
                {0, 0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 1, 1, 0, 0}, {0, 0, 0, 0, 0, 1, 1, 0}, {0, 0, 0, 0, 1, 1, 1, 0}});
        INDArray mask = Nd4j.create(new double[][] {
                {1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1, 1, 0}});
        INDArray positions = Nd4j.create(new double[][] {{2, 5}, {1, 4}, {3, 0}, {2, 5}});
        INDArray lmIds = Nd4j.create(new double[][] {{6, 8}, {10, 12}, {15, 0}, {18, 4}});
        INDArray lmWeights = Nd4j.create(new double[][] {{1, 1}, {1, 1}, {1, 0}, {1, 1}});
        INDArray nsp = Nd4j.create(new double[] {0, 1, 0, 1});
        return new INDArray[] {ids, types, mask, positions, lmIds, lmWeights, nsp};
    }

    /** The columns as a SameDiff feed, by {@link BertPretraining#INPUT_NAMES}. */
    static Map<String, INDArray> feed(INDArray[] columns) {
        Map<String, INDArray> feed = new HashMap<>();
        for (int i = 0; i < columns.length; i++) {
            feed.put(BertPretraining.INPUT_NAMES.get(i), columns[i]);
        }
        return feed;
    }
}
