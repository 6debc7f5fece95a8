package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Our SameDiff self-attention, in double precision, against three independent references. */
class SelfAttentionTest {

    private static final DataType D = DataType.DOUBLE;

    /** A standalone graph: placeholders x [B,S,H] and mask [B,S], random parameters, output "out". */
    private static final class Graph {
        final SameDiff sd = SameDiff.create();
        final SelfAttention.Params params;
        final SDVariable out;

        Graph(int hidden, int heads, int seqLen, boolean withMask, boolean causal, long seed) {
            SDVariable x = sd.placeHolder("x", D, -1, seqLen, hidden);
            SDVariable mask = withMask ? sd.placeHolder("mask", D, -1, seqLen) : null;
            params = SelfAttention.createParams(sd, "attn", hidden, 0.5, D, new Random(seed));
            // non-zero biases, so the bias handling is tested too
            Random rng = new Random(seed + 1);
            for (SDVariable b : new SDVariable[] {params.bq(), params.bk(), params.bv(), params.bo()}) {
                b.setArray(Layers.truncatedNormal(rng, 0.5, D, hidden));
            }
            out = sd.identity("out", SelfAttention.apply(sd, x, mask, params, heads, seqLen, 0.0, causal));
        }

        INDArray run(INDArray x, INDArray mask) {
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("x", x);
            if (mask != null) {
                feed.put("mask", mask);
            }
            return sd.outputSingle(feed, "out");
        }
    }

    /**
     * SameDiff's stock multiHeadDotProductAttention takes features-first [B, H, S] inputs, per-head
     * projections Wq [A, dk, H] and Wo [A·dk, H], and has no biases. The input biases are folded in by
     * appending a constant-1 feature to x (and the bias as the last input column of each projection);
     * the output bias is added afterwards.
     */
    private static INDArray stockAttention(Graph g, INDArray x, INDArray mask, int heads) {
        long batch = x.size(0);
        long seq = x.size(1);
        long hidden = x.size(2);
        long dk = hidden / heads;
        SameDiff sd = SameDiff.create();
        INDArray xAug = Nd4j.concat(2, x, Nd4j.ones(D, batch, seq, 1)).permute(0, 2, 1).dup(); // [B, H+1, S]
        SDVariable in = sd.constant("in", xAug);
        SDVariable[] w = new SDVariable[3];
        SDVariable[][] wb = {{g.params.wq(), g.params.bq()}, {g.params.wk(), g.params.bk()},
                {g.params.wv(), g.params.bv()}};
        for (int i = 0; i < 3; i++) {
            INDArray wAug = Nd4j.concat(0, wb[i][0].getArr(), wb[i][1].getArr().reshape(1, hidden)); // [H+1, H]
            w[i] = sd.constant(wAug.reshape(hidden + 1, heads, dk).permute(1, 2, 0).dup());        // [A, dk, H+1]
        }
        SDVariable wo = sd.constant(g.params.wo().getArr().dup());
        SDVariable m = mask == null ? null : sd.constant(mask);
        SDVariable out = sd.nn().multiHeadDotProductAttention(in, in, in, w[0], w[1], w[2], wo, m, true);
        INDArray outArr = sd.outputSingle(new HashMap<>(), out.name());                          // [B, H, S]
        return outArr.permute(0, 2, 1).add(g.params.bo().getArr().reshape(1, 1, hidden).broadcast(batch, seq, hidden));
    }

    private static INDArray randomMask(long batch, int seq, Random rng) {
        INDArray mask = Nd4j.zeros(D, batch, seq);
        for (int b = 0; b < batch; b++) {
            int valid = 2 + rng.nextInt(seq - 2);          // at least 2 real tokens, some padding
            for (int s = 0; s < valid; s++) {
                mask.putScalar(b, s, 1.0);
            }
        }
        return mask;
    }

    @Test
    void matchesStockMultiHeadAttentionWithoutPadding() {
        Graph g = new Graph(8, 2, 5, false, false, 1);
        INDArray x = Nd4j.rand(D, 3, 5, 8).subi(0.5).muli(2);
        INDArray ours = g.run(x, null);
        INDArray stock = stockAttention(g, x, null, 2);
        double diff = Transforms.maxAbsDiff(ours, stock);
        System.out.println("SelfAttention vs stock multiHeadDotProductAttention, no padding: max |diff| = " + diff);
        assertTrue(diff < 1e-6, "max diff " + diff);
    }

    @Test
    void matchesStockMultiHeadAttentionWithPadding() {
        Random rng = new Random(7);
        Graph g = new Graph(12, 3, 6, true, false, 2);
        INDArray x = Nd4j.rand(D, 4, 6, 12).subi(0.5).muli(2);
        INDArray mask = randomMask(4, 6, rng);
        INDArray ours = g.run(x, mask);
        INDArray stock = stockAttention(g, x, mask, 3);
        double diff = Transforms.maxAbsDiff(ours, stock);
        System.out.println("SelfAttention vs stock multiHeadDotProductAttention, padding: max |diff| = " + diff);
        assertTrue(diff < 1e-6, "max diff " + diff);
        // and the mask matters: without it the result is different
        INDArray unmasked = g.run(x, Nd4j.ones(D, 4, 6));
        assertTrue(Transforms.maxAbsDiff(ours, unmasked) > 1e-3);
    }

    @Test
    void valuesAtPaddedPositionsNeverChangeValidOutputs() {
        Random rng = new Random(11);
        Graph g = new Graph(8, 2, 7, true, false, 3);
        INDArray mask = randomMask(3, 7, rng);
        INDArray x = Nd4j.rand(D, 3, 7, 8);
        INDArray before = g.run(x, mask);
        for (int trial = 0; trial < 3; trial++) {
            INDArray changed = x.dup();
            for (int b = 0; b < 3; b++) {
                for (int s = 0; s < 7; s++) {
                    if (mask.getDouble(b, s) == 0.0) {
                        changed.get(NDArrayIndex.point(b), NDArrayIndex.point(s), NDArrayIndex.all())
                                .assign(Nd4j.rand(D, 8).muli(100 * (trial + 1)).subi(50));
                    }
                }
            }
            INDArray after = g.run(changed, mask);
            for (int b = 0; b < 3; b++) {
                for (int s = 0; s < 7; s++) {
                    if (mask.getDouble(b, s) == 1.0) {
                        assertArrayEquals(row(before, b, s), row(after, b, s), 0.0,
                                "valid output (" + b + "," + s + ") changed");
                    }
                }
            }
        }
    }

    private static double[] row(INDArray a, int b, int s) {
        return a.get(NDArrayIndex.point(b), NDArrayIndex.point(s), NDArrayIndex.all()).toDoubleVector();
    }

    // --- hand-computed example: H=4, 2 heads, 3 tokens, fixed small weights ---------------------

    private static final double[][] X = {{0.1, -0.2, 0.3, 0.4}, {0.5, 0.0, -0.1, 0.2}, {-0.3, 0.6, 0.2, -0.5}};
    private static final double[][] WQ = {{0.1, 0.2, -0.1, 0.0}, {0.0, 0.3, 0.1, -0.2}, {0.2, -0.1, 0.4, 0.1},
            {-0.3, 0.1, 0.0, 0.2}};
    private static final double[][] WK = {{0.3, -0.1, 0.2, 0.1}, {0.1, 0.1, -0.2, 0.3}, {0.0, 0.2, 0.1, -0.1},
            {0.2, 0.0, 0.3, 0.4}};
    private static final double[][] WV = {{0.5, 0.1, 0.0, -0.2}, {-0.1, 0.4, 0.2, 0.1}, {0.3, 0.0, -0.3, 0.2},
            {0.1, -0.2, 0.1, 0.6}};
    private static final double[][] WO = {{0.2, 0.1, -0.1, 0.3}, {0.0, -0.3, 0.2, 0.1}, {0.4, 0.2, 0.1, 0.0},
            {-0.1, 0.0, 0.3, 0.2}};
    private static final double[] BQ = {0.01, -0.02, 0.03, 0.0};
    private static final double[] BK = {0.0, 0.05, -0.01, 0.02};
    private static final double[] BV = {0.1, 0.0, -0.1, 0.05};
    private static final double[] BO = {-0.05, 0.02, 0.0, 0.1};

    private static double[][] handExample(double[] mask, boolean causal) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.constant(Nd4j.create(X).reshape(1, 3, 4));
        SDVariable m = sd.constant(Nd4j.create(mask, new long[] {1, 3}, D));
        SelfAttention.Params p = new SelfAttention.Params(
                sd.var("wq", Nd4j.create(WQ)), sd.var("bq", Nd4j.create(BQ)),
                sd.var("wk", Nd4j.create(WK)), sd.var("bk", Nd4j.create(BK)),
                sd.var("wv", Nd4j.create(WV)), sd.var("bv", Nd4j.create(BV)),
                sd.var("wo", Nd4j.create(WO)), sd.var("bo", Nd4j.create(BO)));
        SDVariable out = SelfAttention.apply(sd, x, m, p, 2, 3, 0.0, causal);
        return sd.outputSingle(new HashMap<>(), out.name()).reshape(3, 4).toDoubleMatrix();
    }

    @Test
    void handComputedExampleMatchesPlainJavaLoops() {
        for (double[] mask : new double[][] {{1, 1, 1}, {1, 1, 0}}) {
            for (boolean causal : new boolean[] {false, true}) {
                double[][] ours = handExample(mask, causal);
                double[][] expected = JavaReference.attention(X, mask, 2, causal, WQ, BQ, WK, BK, WV, BV, WO, BO);
                for (int s = 0; s < 3; s++) {
                    assertArrayEquals(expected[s], ours[s], 1e-12,
                            "mask " + java.util.Arrays.toString(mask) + " causal " + causal + " row " + s);
                }
            }
        }
    }

    @Test
    void causalFirstTokenAttendsOnlyToItself() {
        // with causal masking token 0 sees only itself: its output is x0·Wv+bv projected by Wo
        double[][] ours = handExample(new double[] {1, 1, 1}, true);
        double[][] v0 = JavaReference.dense(new double[][] {X[0]}, WV, BV);
        double[][] expected = JavaReference.dense(v0, WO, BO);
        assertArrayEquals(expected[0], ours[0], 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);   // GradCheckUtil requires it
        SameDiff sd = SameDiff.create();
        // x is a variable so its gradient (what flows to the layer below) is checked as well
        SDVariable x = sd.var("x", Nd4j.rand(D, 2, 3, 4));
        // the 0/1 mask is data, not differentiable: a constant here, so the check skips it
        SDVariable mask = sd.constant("mask", Nd4j.create(new double[][] {{1, 1, 1}, {1, 1, 0}}));
        SelfAttention.Params p = SelfAttention.createParams(sd, "attn", 4, 0.5, D, new Random(5));
        p.bq().setArray(Nd4j.create(BQ));
        p.bk().setArray(Nd4j.create(BK));
        p.bv().setArray(Nd4j.create(BV));
        p.bo().setArray(Nd4j.create(BO));
        SDVariable out = SelfAttention.apply(sd, x, mask, p, 2, 3, 0.0, false);
        sd.setLossVariables(out.mul(out).sum());
        assertTrue(GradCheckUtil.checkGradients(sd, new HashMap<>(), false, true));
    }

    /** Small INDArray helpers. */
    static final class Transforms {
        static double maxAbsDiff(INDArray a, INDArray b) {
            assertArrayEquals(a.shape(), b.shape());
            return a.sub(b).amaxNumber().doubleValue();
        }
    }

    @Test
    void shapesAreBatchSequenceHidden() {
        Graph g = new Graph(6, 3, 4, true, false, 9);
        INDArray out = g.run(Nd4j.rand(D, 5, 4, 6), Nd4j.ones(D, 5, 4));
        assertArrayEquals(new long[] {5, 4, 6}, out.shape());
        assertEquals(D, out.dataType());
    }
}
