package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-head self-attention (docs/design.md §5) as our own SameDiff code, not DL4J's stock attention layer.
 *
 * <pre>
 * B batch, S sequence length (fixed, see below), H hidden, A heads, dk = H / A
 *
 * x     [B, S, H]   input token vectors
 * mask  [B, S]      1 = real token, 0 = padding (same floating type as x)
 * Wq Wk Wv Wo [H, H], bq bk bv bo [H]
 *
 * Q = x·Wq + bq      [B, S, H] -> reshape [B, S, A, dk] -> permute [B, A, S, dk]   (same for K, V)
 * scores = Q·Kᵀ/√dk  [B, A, S, S]            one batched matmul for all heads, no per-head loop
 *        + (1 - mask)·(-10000)  as [B, 1, 1, S]   padded KEYS get a large negative bias
 *        + causal bias [S, S]   (optional: -10000 where key position > query position)
 * probs = softmax over the last (key) axis, then dropout (attention-probs-dropout-prob)
 * ctx   = probs·V    [B, A, S, dk] -> permute [B, S, A, dk] -> reshape [B, S, H]  (head-major)
 * out   = ctx·Wo + bo [B, S, H]
 * </pre>
 *
 * <p>The padding bias is -10000 as in Google's BERT, not -infinity: -inf would give NaN for a row whose
 * keys are all padded, while with -10000 exp(-10000 + s) underflows to exactly 0 in float and double
 * for any realistic score s, so padded keys get exactly zero weight (tested: values at padded positions
 * never reach valid outputs). Padded QUERY rows are computed like any other row; the losses ignore them.
 *
 * <p>The sequence length S is part of the graph (reshapes and the causal bias use it): batches are
 * padded to a fixed length, as the pretraining samples already are. The batch dimension is free.
 *
 * <p>Parameters are SDVariables handed in by the caller, so the same code runs inside the one big BERT
 * graph (where a DL4J vertex owns the parameters) and standalone in tests; {@link #createParams} makes
 * a fresh set when the caller owns the graph.
 */
public final class SelfAttention {

    /** Bias added to the scores of padded (and, if causal, future) key positions. */
    public static final double MASK_BIAS = -10000.0;

    /** The eight parameters of one attention: weights [H, H] (x·W convention), biases [H]. */
    public record Params(SDVariable wq, SDVariable bq, SDVariable wk, SDVariable bk,
                         SDVariable wv, SDVariable bv, SDVariable wo, SDVariable bo) {

        /** Requires weights [H, H] and biases [H]. */
        void requireShapes(long hidden) {
            for (SDVariable w : new SDVariable[] {wq, wk, wv, wo}) {
                Shapes.require(w, "an attention weight [H, H]", hidden, hidden);
            }
            for (SDVariable b : new SDVariable[] {bq, bk, bv, bo}) {
                Shapes.require(b, "an attention bias [H]", hidden);
            }
        }
    }

    private SelfAttention() {
    }

    /**
     * Creates trainable variables {@code <prefix>/wq}, {@code <prefix>/bq}, ... in {@code sd}: weights
     * truncated normal with std {@code initializerRange}, biases zero (docs/design.md §5 init).
     */
    public static Params createParams(SameDiff sd, String prefix, int hiddenSize, double initializerRange,
                                      DataType dataType, Random rng) {
        SDVariable[] p = new SDVariable[8];
        String[] names = {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"};
        for (int i = 0; i < 8; i++) {
            INDArray init = i % 2 == 0
                    ? Layers.truncatedNormal(rng, initializerRange, dataType, hiddenSize, hiddenSize)
                    : Nd4j.zeros(dataType, hiddenSize);
            p[i] = sd.var(prefix + "/" + names[i], init);
        }
        return new Params(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
    }

    /**
     * Adds self-attention to {@code sd} and returns its output [B, S, H].
     *
     * @param x input [B, S, H]
     * @param mask attention mask [B, S], 1 for real tokens and 0 for padding; null means no padding
     * @param p the projection parameters
     * @param numHeads A; H must be divisible by it
     * @param seqLen S, the fixed sequence length of the batches
     * @param probsDropout dropout rate on the attention probabilities (0 at inference and in checks)
     * @param causal if true, position i attends only to positions ≤ i (decoder-style)
     */
    public static SDVariable apply(SameDiff sd, SDVariable x, SDVariable mask, Params p, int numHeads,
                                   int seqLen, double probsDropout, boolean causal) {
        long hidden = p.wq().getShape()[0];
        if (hidden % numHeads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " not divisible by heads " + numHeads);
        }
        long dk = hidden / numHeads;
        p.requireShapes(hidden);
        Shapes.require(x, "attention input x [B, S, H]", Shapes.ANY, seqLen, hidden);
        if (mask != null) {
            Shapes.require(mask, "attention mask [B, S]", Shapes.ANY, seqLen);
        }

        SDVariable x2d = x.reshape(-1, hidden);                                 // [B·S, H]
        SDVariable q = splitHeads(Layers.dense(x2d, p.wq(), p.bq()), seqLen, numHeads, dk); // [B, A, S, dk]
        SDVariable k = splitHeads(Layers.dense(x2d, p.wk(), p.bk()), seqLen, numHeads, dk);
        SDVariable v = splitHeads(Layers.dense(x2d, p.wv(), p.bv()), seqLen, numHeads, dk);

        SDVariable scores = sd.mmul(q, k, false, true, false).mul(1.0 / Math.sqrt(dk)); // [B, A, S, S]
        if (mask != null) {
            SDVariable keyBias = mask.rsub(1.0).mul(MASK_BIAS).reshape(-1, 1, 1, seqLen); // [B, 1, 1, S]
            scores = scores.add(keyBias);
        }
        if (causal) {
            scores = scores.add(sd.constant(causalBias(seqLen, x.dataType())));       // [S, S]
        }
        SDVariable probs = sd.nn().softmax(scores, 3);                                // over keys
        probs = Layers.dropout(sd, probs, probsDropout);

        SDVariable context = sd.mmul(probs, v, false, false, false)                  // [B, A, S, dk]
                .permute(0, 2, 1, 3)                                                  // [B, S, A, dk]
                .reshape(-1, hidden);                                                 // [B·S, H]
        return Layers.dense(context, p.wo(), p.bo()).reshape(-1, seqLen, hidden);     // [B, S, H]
    }

    /** [B·S, H] -> [B, A, S, dk]. */
    private static SDVariable splitHeads(SDVariable t, int seqLen, int numHeads, long dk) {
        return t.reshape(-1, seqLen, numHeads, dk).permute(0, 2, 1, 3);
    }

    /** [S, S] with 0 where key ≤ query and {@link #MASK_BIAS} where the key lies in the future. */
    static INDArray causalBias(int seqLen, DataType dataType) {
        double[] bias = new double[seqLen * seqLen];
        for (int query = 0; query < seqLen; query++) {
            for (int key = query + 1; key < seqLen; key++) {
                bias[query * seqLen + key] = MASK_BIAS;
            }
        }
        return Nd4j.create(bias, new long[] {seqLen, seqLen}, DataType.DOUBLE).castTo(dataType);
    }
}
