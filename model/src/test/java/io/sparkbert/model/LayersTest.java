package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** GELU (exact erf form), LayerNorm (eps 1e-12) and dropout against plain Java. */
class LayersTest {

    private static final DataType D = DataType.DOUBLE;

    private static double[] eval(SameDiff sd, SDVariable v) {
        return sd.outputSingle(new HashMap<>(), v.name()).reshape(-1).toDoubleVector();
    }

    @Test
    void geluIsTheExactErfFormAndStockGelusAreApproximations() {
        double[] xs = new double[81];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = -4.0 + 0.1 * i;
        }
        double[] expected = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            expected[i] = JavaReference.gelu(xs[i]);
        }
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.constant(Nd4j.create(xs));
        assertArrayEquals(expected, eval(sd, Layers.gelu(sd, x)), 1e-12);
        double stock = maxDiff(expected, eval(sd, sd.nn().gelu(x)));
        double precise = maxDiff(expected, eval(sd, sd.nn().preciseGelu(x)));
        System.out.println("exact GELU vs sd.nn().gelu: " + stock + ", vs sd.nn().preciseGelu: " + precise);
        assertTrue(stock > 1e-6, "sd.nn().gelu unexpectedly exact: " + stock);
    }

    private static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void layerNormMatchesPlainJavaWithTinyEpsilon() {
        double[][] x = {{1, 2, 3, 4}, {-1, 0.5, 0.25, 8}, {3, 3, 3, 3.000001}};
        double[] gain = {1, 2, 0.5, -1};
        double[] bias = {0, 0.1, -0.2, 0.3};
        SameDiff sd = SameDiff.create();
        SDVariable out = Layers.layerNorm(sd, sd.constant(Nd4j.create(x)), sd.constant(Nd4j.create(gain)),
                sd.constant(Nd4j.create(bias)), 1e-12);
        double[][] expected = JavaReference.layerNorm(x, gain, bias, 1e-12);
        INDArray ours = sd.outputSingle(new HashMap<>(), out.name());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(expected[i], ours.getRow(i).toDoubleVector(), 1e-9);
        }
    }

    @Test
    void dropoutKeepsTheExpectationAndZeroRateIsIdentity() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.constant(Nd4j.ones(D, 200, 100));
        assertEquals(x, Layers.dropout(sd, x, 0.0));
        double[] dropped = eval(sd, Layers.dropout(sd, x, 0.25));
        int zeros = 0;
        double sum = 0;
        for (double v : dropped) {
            assertTrue(v == 0.0 || Math.abs(v - 1.0 / 0.75) < 1e-12, "value " + v);
            zeros += v == 0.0 ? 1 : 0;
            sum += v;
        }
        assertEquals(0.25, zeros / 20000.0, 0.02);
        assertEquals(1.0, sum / 20000.0, 0.03);
    }

    /** Fraction of exact zeros. */
    private static double zeroFraction(INDArray a) {
        return a.eq(0.0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
    }

    @Test
    void dropoutDrawsAFreshMaskAtEveryExecutionOfTheSameTrainingGraph() {
        double rate = 0.25;
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", D, -1, 50);
        SDVariable w = sd.var("w", Nd4j.rand(D, 50, 40).addi(0.5));        // all products > 0: zeros are dropped units
        SDVariable h = x.mmul(w);
        SDVariable dropped = Layers.dropout(sd, h, rate);
        SDVariable undropped = Layers.dropout(sd, h, 0.0);
        assertEquals(h, undropped);
        sd.setLossVariables(dropped.sum());
        Map<String, INDArray> feed = Map.of("x", Nd4j.rand(D, 100, 50).addi(0.5));

        INDArray hOut = sd.outputSingle(feed, h.name());
        INDArray first = sd.outputSingle(feed, dropped.name());
        INDArray second = sd.outputSingle(feed, dropped.name());
        assertNotEquals(first, second, "same dropout mask at two executions");
        for (INDArray out : new INDArray[] {first, second}) {
            assertEquals(rate, zeroFraction(out), 0.02);
            INDArray kept = out.neq(0.0).castTo(D);
            assertEquals(hOut.mul(kept).div(1 - rate), out);          // kept units scaled by 1/(1-rate)
        }
        // the mask differs between the two masks in about 2·rate·(1-rate) of the units
        double differ = first.eq(0.0).neq(second.eq(0.0)).castTo(D).meanNumber().doubleValue();
        assertEquals(2 * rate * (1 - rate), differ, 0.03);

        // the gradient (a training step) also gets a fresh mask each time: dL/dw = xᵀ·keep/(1-rate)
        INDArray g1 = sd.calculateGradients(feed, "w").get("w");
        INDArray g2 = sd.calculateGradients(feed, "w").get("w");
        assertNotEquals(g1, g2, "same dropout mask in two gradient computations");

        // reproducible for a seed of ND4J's global RNG
        Nd4j.getRandom().setSeed(7);
        INDArray a = sd.outputSingle(feed, dropped.name());
        Nd4j.getRandom().setSeed(7);
        assertEquals(a, sd.outputSingle(feed, dropped.name()));
    }

    /**
     * Central differences of loss = Σ out ⊙ weights (weights fixed and random, so every output element
     * matters differently) against SameDiff's gradients, for every element of every variable in {@code sd}.
     */
    private static void assertGradientsMatchCentralDifferences(SameDiff sd, SDVariable out, long seed) {
        INDArray weights = Nd4j.rand(D, out.eval().shape()).subi(0.5);
        Nd4j.getRandom().setSeed(seed);
        SDVariable loss = out.mul(sd.constant(weights)).sum();
        sd.setLossVariables(loss);
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), sd.variableMap().keySet().stream()
                .filter(n -> sd.getVariable(n).getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE)
                .toList());
        double eps = 1e-6;
        for (Map.Entry<String, INDArray> e : grads.entrySet()) {
            INDArray param = sd.getVariable(e.getKey()).getArr();
            for (long i = 0; i < param.length(); i++) {
                double original = param.getDouble(i);
                param.putScalar(i, original + eps);
                double plus = sd.outputSingle(Map.of(), loss.name()).getDouble(0);
                param.putScalar(i, original - eps);
                double minus = sd.outputSingle(Map.of(), loss.name()).getDouble(0);
                param.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps);
                double analytic = e.getValue().getDouble(i);
                assertEquals(numeric, analytic, 1e-7 + 1e-6 * Math.abs(numeric), e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void layerNormGradientsMatchCentralDifferencesInDoublePrecision() {
        for (int hidden : new int[] {5, 513}) {          // 513: the bias goes through the matrix-product path
            SameDiff sd = SameDiff.create();
            SDVariable x = sd.var("x", Nd4j.rand(D, 3, hidden).muli(4).subi(2));
            SDVariable gain = sd.var("gain", Nd4j.rand(D, hidden).addi(0.5));
            SDVariable bias = sd.var("bias", Nd4j.rand(D, hidden).subi(0.5));
            SDVariable out = Layers.layerNorm(sd, x, gain, bias, 1e-12);
            double[][] expected = JavaReference.layerNorm(x.getArr().toDoubleMatrix(), gain.getArr().toDoubleVector(),
                    bias.getArr().toDoubleVector(), 1e-12);
            INDArray ours = out.eval();
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(expected[i], ours.getRow(i).toDoubleVector(), 1e-12);
            }
            assertGradientsMatchCentralDifferences(sd, out, hidden);
        }
    }

    @Test
    void addBiasIsTheBroadcastAddBitForBitAndItsGradientIsTheColumnSum() {
        for (int width : new int[] {7, 600}) {           // below and above BIAS_AS_MATMUL_MIN_WIDTH
            SameDiff sd = SameDiff.create();
            INDArray yValue = Nd4j.rand(DataType.FLOAT, 37, width).subi(0.5);
            INDArray bValue = Nd4j.rand(DataType.FLOAT, width).subi(0.5);
            SDVariable y = sd.var("y", yValue);
            SDVariable b = sd.var("b", bValue);
            SDVariable out = Layers.addBias(y, b);
            assertEquals(yValue.addRowVector(bValue), out.eval(), "width " + width);   // exactly equal, float

            INDArray upstream = Nd4j.rand(DataType.FLOAT, 37, width);
            sd.setLossVariables(out.mul(sd.constant(upstream)).sum());
            INDArray db = sd.calculateGradients(Map.of(), "b").get("b");
            double[] columnSums = new double[width];
            for (int r = 0; r < 37; r++) {
                for (int c = 0; c < width; c++) {
                    columnSums[c] += upstream.getDouble(r, c);
                }
            }
            assertArrayEquals(columnSums, db.toDoubleVector(), 1e-4, "width " + width);
        }
        assertTrue(Layers.BIAS_AS_MATMUL_MIN_WIDTH > 7 && Layers.BIAS_AS_MATMUL_MIN_WIDTH <= 600);
    }

    @Test
    void denseGradientsMatchCentralDifferencesOnBothBiasPaths() {
        for (int width : new int[] {3, 520}) {
            SameDiff sd = SameDiff.create();
            SDVariable x = sd.var("x", Nd4j.rand(D, 4, 6).subi(0.5));
            SDVariable w = sd.var("w", Nd4j.rand(D, 6, width).subi(0.5));
            SDVariable b = sd.var("b", Nd4j.rand(D, width).subi(0.5));
            assertGradientsMatchCentralDifferences(sd, Layers.dense(x, w, b), width);
        }
    }
}
