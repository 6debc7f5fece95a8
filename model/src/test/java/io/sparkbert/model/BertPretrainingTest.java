package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** The whole pretraining graph (embeddings, blocks, tied MLM head, NSP head, losses) in SameDiff. */
class BertPretrainingTest {

    private static final DataType D = DataType.DOUBLE;

    /** A fixed batch: B=4, S=8, P=2, vocab 20 (0 = [PAD]), last tokens padded in two samples. */
    private static INDArray[] batch() {
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

    private static Map<String, INDArray> feed(INDArray[] arrays) {
        Map<String, INDArray> feed = new HashMap<>();
        for (int i = 0; i < arrays.length; i++) {
            feed.put(BertPretraining.INPUT_NAMES.get(i), arrays[i]);
        }
        return feed;
    }

    @Test
    void gradientsOfTheTinyModelMatchFiniteDifferences() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);   // GradCheckUtil requires it
        BertConfig cfg = new BertConfig(20, 4, 2, 2, 8, "gelu", 0.0, 0.0, 8, 2, 0.3, 1e-12);
        SameDiff sd = SameDiff.create();
        INDArray[] b = batch();
        SDVariable[] c = new SDVariable[7];
        for (int i = 0; i < 7; i++) {
            c[i] = sd.constant(BertPretraining.INPUT_NAMES.get(i), b[i]);    // constants: not checked
        }
        BertPretraining.Inputs in = new BertPretraining.Inputs(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        BertPretraining.Params p = BertPretraining.createParams(sd, cfg, D, 42);
        BertPretraining.build(sd, in, p, cfg, 8, false);
        assertTrue(GradCheckUtil.checkGradients(sd, new HashMap<>(), false, true));
    }

    @Test
    void lossIsTheSumOfMlmAndNspAndPaddedPredictionsAreIgnored() {
        BertConfig cfg = new BertConfig(20, 8, 1, 2, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        BertPretraining.Graph g = BertPretraining.create(cfg, 8, 2, false, 1, D);
        INDArray[] b = batch();
        Map<String, INDArray> out = g.sd().output(feed(b), "loss", "mlm_loss", "nsp_loss", "mlm_logits", "nsp_logits");
        assertEquals(out.get("mlm_loss").getDouble(0) + out.get("nsp_loss").getDouble(0), out.get("loss").getDouble(0), 1e-12);
        assertArrayEquals(new long[] {8, 20}, out.get("mlm_logits").shape());
        assertArrayEquals(new long[] {4, 2}, out.get("nsp_logits").shape());
        // near-uniform predictions at init: each loss is about ln(V) and ln(2)
        assertEquals(Math.log(20), out.get("mlm_loss").getDouble(0), 0.3);
        assertEquals(Math.log(2), out.get("nsp_loss").getDouble(0), 0.1);
        // the prediction with weight 0 does not count: changing its target id changes nothing
        INDArray[] changed = batch();
        changed[4].putScalar(2, 1, 7);
        double again = g.sd().output(feed(changed), "mlm_loss").get("mlm_loss").getDouble(0);
        assertEquals(out.get("mlm_loss").getDouble(0), again, 1e-12);
    }

    @Test
    void overfitsOneFixedBatch() {
        BertConfig cfg = new BertConfig(20, 16, 2, 2, 64, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        BertPretraining.Graph g = BertPretraining.create(cfg, 8, 2, false, 7, D);
        g.sd().setTrainingConfig(TrainingConfig.builder()
                .updater(new Adam(3e-3))
                .dataSetFeatureMapping(BertPretraining.INPUT_NAMES)
                .markLabelsUnused()
                .build());
        INDArray[] b = batch();
        MultiDataSet data = new MultiDataSet(b, new INDArray[0]);
        double first = g.sd().output(feed(b), "loss").get("loss").getDouble(0);
        for (int i = 0; i < 300; i++) {
            g.sd().fit(data);
        }
        Map<String, INDArray> out = g.sd().output(feed(b), "mlm_loss", "nsp_loss");
        double mlm = out.get("mlm_loss").getDouble(0);
        double nsp = out.get("nsp_loss").getDouble(0);
        System.out.println("overfit: loss " + first + " -> mlm " + mlm + " + nsp " + nsp);
        assertTrue(mlm < 0.05, "mlm loss " + mlm);
        assertTrue(nsp < 0.05, "nsp loss " + nsp);
    }
}
