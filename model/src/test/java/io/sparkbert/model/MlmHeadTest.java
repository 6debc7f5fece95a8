package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The masked-LM decoder and loss on their own, against the formulas worked by hand. */
class MlmHeadTest {

    private static final int VOCAB = 5;
    private static final int HIDDEN = 5;

    /**
     * The decoder's input h [4, H]: with the table below the logits come out near these values, far outside
     * exp's range in float (|x| up to 1000): a row's shift by its maximum keeps them finite.
     */
    private static final double[][] H = {
            {1000.0, 1001.5, 999.0, 1000.25, 998.0},
            {-1000.0, -1003.0, -999.5, -1001.0, -1000.0},
            {0.5, -0.25, 2.0, 0.0, -1.5},
            {3.0, 1.0, 0.0, -2.0, 0.5}};
    /** Target ids: id 1 twice, so the target rows' gradients must add up in the table. */
    private static final int[] IDS = {1, 4, 1, 0};
    private static final double[] WEIGHTS = {1.0, 1.0, 1.0, 0.0};
    private static final double[] OUTPUT_BIAS = {0.125, -0.25, 0.5, 0.0, -0.0625};

    /** The tied decoder [V, H]: near the identity, not symmetric (a transposed use would show). */
    private static double table(int v, int k) {
        return (v == k ? 1.0 : 0.0) + 0.001 * (v - 2 * k);
    }

    @Test
    void lossAndGradientsMatchTheFormulasByHandForLogitsBeyondExpsRange() {
        BertConfig cfg = new BertConfig(VOCAB, HIDDEN, 1, 1, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        double[][] tableValues = new double[VOCAB][HIDDEN];
        for (int v = 0; v < VOCAB; v++) {
            for (int k = 0; k < HIDDEN; k++) {
                tableValues[v][k] = table(v, k);
            }
        }
        // by hand: logits = h·tableᵀ + bias; dL/dlogit = scale·(softmax - onehot(id)), scale = w/(Σw + 1e-5);
        // dL/dh = dlogits·table, dL/dtable = dlogitsᵀ·h, dL/dbias = column sums of dlogits
        double weightSum = 0;
        for (double w : WEIGHTS) {
            weightSum += w;
        }
        double expectedLoss = 0;
        double[][] dLogits = new double[H.length][VOCAB];
        for (int r = 0; r < H.length; r++) {
            double[] logits = new double[VOCAB];
            for (int v = 0; v < VOCAB; v++) {
                logits[v] = OUTPUT_BIAS[v];
                for (int k = 0; k < HIDDEN; k++) {
                    logits[v] += H[r][k] * tableValues[v][k];
                }
            }
            double logSumExp = JavaReference.logSumExp(logits);
            double scale = WEIGHTS[r] / (weightSum + 1e-5);
            expectedLoss += scale * (logSumExp - logits[IDS[r]]);
            for (int v = 0; v < VOCAB; v++) {
                dLogits[r][v] = scale * (Math.exp(logits[v] - logSumExp) - (v == IDS[r] ? 1 : 0));
            }
        }
        double[][] dH = new double[H.length][HIDDEN];
        double[][] dTable = new double[VOCAB][HIDDEN];
        double[] dBias = new double[VOCAB];
        for (int r = 0; r < H.length; r++) {
            for (int v = 0; v < VOCAB; v++) {
                dBias[v] += dLogits[r][v];
                for (int k = 0; k < HIDDEN; k++) {
                    dH[r][k] += dLogits[r][v] * tableValues[v][k];
                    dTable[v][k] += dLogits[r][v] * H[r][k];
                }
            }
        }

        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            SameDiff sd = SameDiff.create();
            MlmHead.Params p = MlmHead.createParams(sd, "mlm", cfg, type, new Random(1));
            p.outputBias().getArr().assign(Nd4j.createFromArray(OUTPUT_BIAS).castTo(type));
            SDVariable h = sd.var("h", Nd4j.createFromArray(H).castTo(type));
            SDVariable table = sd.var("table", Nd4j.createFromArray(tableValues).castTo(type));
            SDVariable inputIds = sd.constant(Nd4j.zeros(type, 2, 1));    // one input token a sample, not used here
            SDVariable ids = sd.constant(Nd4j.createFromArray(IDS).castTo(type).reshape(2, 2));
            SDVariable weights = sd.constant(Nd4j.createFromArray(WEIGHTS).castTo(type).reshape(2, 2));
            TokenLookup lookup = TokenLookup.gather(sd, table, p.outputBias(), inputIds, ids, 1, 2);
            SDVariable logits = MlmHead.logits(sd, h, table, p, cfg);
            SDVariable loss = MlmHead.loss(sd, logits, h, lookup.targetRows(), lookup.targetBias(), weights);
            sd.setLossVariables(loss);

            String bias = p.outputBias().name();
            BertPretraining.Gradients result = BertPretraining.gradients(sd, Map.of(), List.of(loss.name()),
                    List.of("h", "table", bias), "table", bias);
            // relative beyond 1; float: logits near 1000 carry ~6e-5 of rounding each
            double tolerance = type == DataType.DOUBLE ? 1e-12 : 5e-4;
            assertEquals(expectedLoss, result.outputs().get(loss.name()).getDouble(0), tolerance, type + " loss");
            assertMatrix(dH, result.gradients().get("h"), tolerance, type + " dL/dh");
            assertMatrix(dTable, result.gradients().get("table"), tolerance, type + " dL/dtable");
            assertMatrix(new double[][] {dBias}, result.gradients().get(bias).reshape(1, VOCAB), tolerance,
                    type + " dL/dbias");
        }
    }

    private static void assertMatrix(double[][] expected, INDArray actual, double tolerance, String what) {
        for (int r = 0; r < expected.length; r++) {
            for (int c = 0; c < expected[r].length; c++) {
                double a = actual.getDouble(r, c);
                assertTrue(Double.isFinite(a), what + " at " + r + "," + c);
                assertEquals(expected[r][c], a, tolerance * Math.max(1, Math.abs(expected[r][c])),
                        what + " at " + r + "," + c);
            }
        }
    }
}
