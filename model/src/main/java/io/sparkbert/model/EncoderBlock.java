package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One post-LN Transformer encoder block, as in the original BERT (docs/design.md §5):
 *
 * <pre>
 * x    [B, S, H], mask [B, S] (1 real, 0 padding)
 * h    = LN1(x + Dropout(SelfAttention(x, mask)))        [B, S, H]
 * out  = LN2(h + Dropout(W2·GELU(W1·h + b1) + b2))       [B, S, H]
 *
 * W1 [H, I], b1 [I], W2 [I, H], b2 [H]; LN gains [H] (init 1), LN biases [H] (init 0), eps 1e-12.
 * </pre>
 *
 * Post-LN (normalise after the residual sum) is what Google's BERT checkpoints use; pre-LN would be
 * easier to train deep but would not be BERT. Dense layers and LayerNorm work on the [B·S, H] matrix.
 */
public final class EncoderBlock {

    /** The parameters of one block. */
    public record Params(SelfAttention.Params attention,
                         SDVariable ln1Gain, SDVariable ln1Bias,
                         SDVariable w1, SDVariable b1, SDVariable w2, SDVariable b2,
                         SDVariable ln2Gain, SDVariable ln2Bias) {

        /** Requires the shapes of the class comment for {@code cfg} (the attention checks its own). */
        void requireShapes(BertConfig cfg) {
            long h = cfg.hiddenSize();
            long i = cfg.intermediateSize();
            for (SDVariable v : new SDVariable[] {ln1Gain, ln1Bias, b2, ln2Gain, ln2Bias}) {
                Shapes.require(v, "a LayerNorm gain or bias, or b2 [H]", h);
            }
            Shapes.require(w1, "w1 [H, I]", h, i);
            Shapes.require(b1, "b1 [I]", i);
            Shapes.require(w2, "w2 [I, H]", i, h);
        }
    }

    private EncoderBlock() {
    }

    /** Creates a block's trainable variables under {@code <prefix>/...} with docs/design.md §5 initialisation. */
    public static Params createParams(SameDiff sd, String prefix, BertConfig cfg, DataType dataType, Random rng) {
        int h = cfg.hiddenSize();
        int i = cfg.intermediateSize();
        double std = cfg.initializerRange();
        return new Params(
                SelfAttention.createParams(sd, prefix + "/attention", h, std, dataType, rng),
                sd.var(prefix + "/ln1/gain", Nd4j.ones(dataType, h)),
                sd.var(prefix + "/ln1/bias", Nd4j.zeros(dataType, h)),
                sd.var(prefix + "/ffn/w1", Layers.truncatedNormal(rng, std, dataType, h, i)),
                sd.var(prefix + "/ffn/b1", Nd4j.zeros(dataType, i)),
                sd.var(prefix + "/ffn/w2", Layers.truncatedNormal(rng, std, dataType, i, h)),
                sd.var(prefix + "/ffn/b2", Nd4j.zeros(dataType, h)),
                sd.var(prefix + "/ln2/gain", Nd4j.ones(dataType, h)),
                sd.var(prefix + "/ln2/bias", Nd4j.zeros(dataType, h)));
    }

    /**
     * Adds one block to {@code sd} and returns its output [B, S, H].
     *
     * @param x input [B, S, H]
     * @param mask attention mask [B, S] or null
     * @param seqLen S, the fixed sequence length
     * @param training whether dropout (at the config's rates) is part of the graph
     */
    public static SDVariable apply(SameDiff sd, SDVariable x, SDVariable mask, Params p, BertConfig cfg,
                                   int seqLen, boolean training) {
        int hidden = cfg.hiddenSize();
        double hiddenDrop = training ? cfg.hiddenDropoutProb() : 0.0;
        double probsDrop = training ? cfg.attentionProbsDropoutProb() : 0.0;
        p.requireShapes(cfg);
        Shapes.require(x, "block input x [B, S, H]", Shapes.ANY, seqLen, hidden);

        SDVariable x2d = x.reshape(-1, hidden);                                          // [B·S, H]
        SDVariable attn = SelfAttention.apply(sd, x, mask, p.attention(), cfg.numAttentionHeads(), seqLen,
                probsDrop, false).reshape(-1, hidden);                                   // [B·S, H]
        SDVariable h = Layers.layerNorm(sd, x2d.add(Layers.dropout(sd, attn, hiddenDrop)),
                p.ln1Gain(), p.ln1Bias(), cfg.layerNormEps());

        SDVariable inner = Layers.gelu(sd, Layers.dense(h, p.w1(), p.b1()));             // [B·S, I]
        SDVariable ffn = Layers.dense(inner, p.w2(), p.b2());                            // [B·S, H]
        SDVariable out = Layers.layerNorm(sd, h.add(Layers.dropout(sd, ffn, hiddenDrop)),
                p.ln2Gain(), p.ln2Bias(), cfg.layerNormEps());
        return out.reshape(-1, seqLen, hidden);                                          // [B, S, H]
    }
}
