package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** One post-LN encoder block (H=4, 2 heads, 3 tokens) against the plain-Java double reference. */
class EncoderBlockTest {

    private static final DataType D = DataType.DOUBLE;
    private static final BertConfig CFG = new BertConfig(10, 4, 1, 2, 8, "gelu", 0.0, 0.0, 512, 2, 0.02, 1e-12);

    /** Random block parameters, with LN gains/biases and FFN biases away from 1/0 so all are tested. */
    private static EncoderBlock.Params randomParams(SameDiff sd, long seed) {
        Random rng = new Random(seed);
        EncoderBlock.Params p = EncoderBlock.createParams(sd, "block", CFG, D, rng);
        SDVariable[] all = {p.attention().wq(), p.attention().bq(), p.attention().wk(), p.attention().bk(),
                p.attention().wv(), p.attention().bv(), p.attention().wo(), p.attention().bo(),
                p.ln1Gain(), p.ln1Bias(), p.w1(), p.b1(), p.w2(), p.b2(), p.ln2Gain(), p.ln2Bias()};
        for (SDVariable v : all) {
            INDArray r = Layers.truncatedNormal(rng, 0.6, D, v.getArr().shape());
            v.setArray(v.name().contains("gain") ? r.addi(1.0) : r);
        }
        return p;
    }

    private static double[][] m(SDVariable v) {
        return v.getArr().toDoubleMatrix();
    }

    private static double[] vec(SDVariable v) {
        return v.getArr().toDoubleVector();
    }

    private static double[][] reference(double[][] x, double[] mask, EncoderBlock.Params p) {
        SelfAttention.Params a = p.attention();
        double[][] attn = JavaReference.attention(x, mask, 2, false, m(a.wq()), vec(a.bq()), m(a.wk()),
                vec(a.bk()), m(a.wv()), vec(a.bv()), m(a.wo()), vec(a.bo()));
        double[][] h = JavaReference.layerNorm(JavaReference.add(x, attn), vec(p.ln1Gain()), vec(p.ln1Bias()), 1e-12);
        double[][] inner = JavaReference.map(JavaReference.dense(h, m(p.w1()), vec(p.b1())), JavaReference::gelu);
        double[][] ffn = JavaReference.dense(inner, m(p.w2()), vec(p.b2()));
        return JavaReference.layerNorm(JavaReference.add(h, ffn), vec(p.ln2Gain()), vec(p.ln2Bias()), 1e-12);
    }

    @Test
    void oneBlockMatchesPlainJavaImplementation() {
        double[][][] xs = {
                {{0.1, -0.2, 0.3, 0.4}, {0.5, 0.0, -0.1, 0.2}, {-0.3, 0.6, 0.2, -0.5}},
                {{1.5, -0.7, 0.0, 2.0}, {-1.0, 0.3, 0.8, -0.4}, {9.0, 9.0, -9.0, 9.0}}};
        double[][] masks = {{1, 1, 1}, {1, 1, 0}};
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.constant("x", Nd4j.create(xs));
        SDVariable mask = sd.constant("mask", Nd4j.create(masks));
        EncoderBlock.Params p = randomParams(sd, 3);
        SDVariable out = EncoderBlock.apply(sd, x, mask, p, CFG, 3, true);   // dropout rates are 0 in CFG
        INDArray result = sd.outputSingle(new HashMap<>(), out.name());
        assertArrayEquals(new long[] {2, 3, 4}, result.shape());
        double maxDiff = 0;
        for (int b = 0; b < 2; b++) {
            double[][] expected = reference(xs[b], masks[b], p);
            double[][] ours = result.slice(b).toDoubleMatrix();
            for (int s = 0; s < 3; s++) {
                assertArrayEquals(expected[s], ours[s], 1e-10, "batch " + b + " token " + s);
                for (int j = 0; j < 4; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(expected[s][j] - ours[s][j]));
                }
            }
        }
        System.out.println("EncoderBlock vs plain Java: max |diff| = " + maxDiff);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);   // GradCheckUtil requires it
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", Nd4j.rand(D, 2, 3, 4).subi(0.5));
        SDVariable mask = sd.constant("mask", Nd4j.create(new double[][] {{1, 1, 1}, {1, 1, 0}}));
        EncoderBlock.Params p = randomParams(sd, 4);
        SDVariable out = EncoderBlock.apply(sd, x, mask, p, CFG, 3, false);
        // a loss that weights outputs differently (a plain sum of LayerNorm outputs has ~zero gradient)
        SDVariable weights = sd.constant(Nd4j.rand(D, 2, 3, 4));
        sd.setLossVariables(out.mul(weights).sum());
        assertTrue(GradCheckUtil.checkGradients(sd, new HashMap<>(), false, true));
    }
}
