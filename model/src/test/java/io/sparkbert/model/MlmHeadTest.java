package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The masked-LM loss on its own, against the formula worked by hand. */
class MlmHeadTest {

    private static final int VOCAB = 5;

    /** Logits far outside exp's range in float (|x| up to 1000): a row's shift by its maximum keeps them finite. */
    private static final double[][] LOGITS = {
            {1000.0, 1001.5, 999.0, 1000.25, 998.0},
            {-1000.0, -1003.0, -999.5, -1001.0, -1000.0},
            {0.5, -0.25, 2.0, 0.0, -1.5},
            {3.0, 1.0, 0.0, -2.0, 0.5}};
    private static final int[] IDS = {1, 4, 2, 0};
    private static final double[] WEIGHTS = {1.0, 1.0, 1.0, 0.0};

    @Test
    void lossAndGradientMatchTheFormulaByHandForLogitsBeyondExpsRange() {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            SameDiff sd = SameDiff.create();
            SDVariable logits = sd.var("logits", Nd4j.createFromArray(LOGITS).castTo(type));
            SDVariable ids = sd.constant(Nd4j.createFromArray(IDS).castTo(type).reshape(2, 2));
            SDVariable weights = sd.constant(Nd4j.createFromArray(WEIGHTS).castTo(type).reshape(2, 2));
            BertConfig cfg = new BertConfig(VOCAB, 8, 1, 2, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
            SDVariable loss = MlmHead.loss(sd, logits, ids, weights, cfg);
            sd.setLossVariables(loss);

            double tolerance = type == DataType.DOUBLE ? 1e-12 : 2e-4;
            double weightSum = 0;
            for (double w : WEIGHTS) {
                weightSum += w;
            }
            double expectedLoss = 0;
            double[][] expectedGrad = new double[LOGITS.length][VOCAB];
            for (int r = 0; r < LOGITS.length; r++) {
                double logSumExp = JavaReference.logSumExp(LOGITS[r]);
                double scale = WEIGHTS[r] / (weightSum + 1e-5);
                expectedLoss += scale * (logSumExp - LOGITS[r][IDS[r]]);
                // d loss / d logit = scale · (softmax - onehot(id))
                for (int v = 0; v < VOCAB; v++) {
                    expectedGrad[r][v] = scale * (Math.exp(LOGITS[r][v] - logSumExp) - (v == IDS[r] ? 1 : 0));
                }
            }
            INDArray value = sd.output(Map.of(), loss.name()).get(loss.name());
            assertEquals(expectedLoss, value.getDouble(0), tolerance, type + " loss");
            INDArray grad = sd.calculateGradients(Map.of(), "logits").get("logits");
            for (int r = 0; r < LOGITS.length; r++) {
                for (int v = 0; v < VOCAB; v++) {
                    double g = grad.getDouble(r, v);
                    assertTrue(Double.isFinite(g), type + " gradient at " + r + "," + v);
                    assertEquals(expectedGrad[r][v], g, tolerance, type + " gradient at " + r + "," + v);
                }
            }
        }
    }
}
