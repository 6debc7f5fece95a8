package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The masked-LM head and loss (docs/design.md §5), as Google's {@code get_masked_lm_output}.
 *
 * <pre>
 * sequence [B, S, H], positions [B, P], ids [B, P], weights [B, P] (1 real prediction, 0 padding)
 * gathered = onehot(positions, S) · sequence          [B, P, H]   (a batched matmul = gather, no loop)
 * h        = LN(GELU(gathered·W + b))                 [B·P, H]
 * logits   = h · tokenTableᵀ + outputBias             [B·P, V]    decoder TIED to the token embeddings
 * nll      = -log softmax(logits)[ids]                [B·P]       as logsumexp(logits) - logits[ids], where
 *            logits[ids] = Σ_H(h ⊙ tokenTable[ids]) + outputBias[ids]
 * loss     = Σ(weights·nll) / (Σ weights + 1e-5)      scalar
 * </pre>
 *
 * The decoder weight is the embedding table itself (same SDVariable in the same SameDiff graph), so the
 * gradient of the MLM loss and the gradient from the embedding lookup add up in one parameter: that is
 * what "tied" means, and it only holds because embeddings and heads live in ONE graph.
 */
public final class MlmHead {

    /** Transform dense + LayerNorm, and the decoder's own output bias [V]. */
    public record Params(SDVariable w, SDVariable b, SDVariable lnGain, SDVariable lnBias, SDVariable outputBias) {

        /** Requires the transform [H, H] + [H], LayerNorm [H] and the output bias [V] for {@code cfg}. */
        void requireShapes(BertConfig cfg) {
            long h = cfg.hiddenSize();
            Shapes.require(w, "the MLM transform weight [H, H]", h, h);
            for (SDVariable v : new SDVariable[] {b, lnGain, lnBias}) {
                Shapes.require(v, "the MLM transform bias or LayerNorm [H]", h);
            }
            Shapes.require(outputBias, "the MLM output bias [V]", cfg.vocabSize());
        }
    }

    private MlmHead() {
    }

    public static Params createParams(SameDiff sd, String prefix, BertConfig cfg, DataType dataType, Random rng) {
        int h = cfg.hiddenSize();
        return new Params(
                sd.var(prefix + "/transform/w", Layers.truncatedNormal(rng, cfg.initializerRange(), dataType, h, h)),
                sd.var(prefix + "/transform/b", Nd4j.zeros(dataType, h)),
                sd.var(prefix + "/ln/gain", Nd4j.ones(dataType, h)),
                sd.var(prefix + "/ln/bias", Nd4j.zeros(dataType, h)),
                sd.var(prefix + "/output_bias", Nd4j.zeros(dataType, cfg.vocabSize())));
    }

    /** The transformed hidden states h [B·P, H] at the masked positions (the decoder's input). */
    public static SDVariable hidden(SameDiff sd, SDVariable sequence, SDVariable positions, Params p, BertConfig cfg,
                                    int seqLen) {
        int hidden = cfg.hiddenSize();
        p.requireShapes(cfg);
        Shapes.require(positions, "masked_lm_positions [B, P]", Shapes.ANY, Shapes.ANY);
        SDVariable select = sd.oneHot(positions.castTo(DataType.INT), seqLen, -1, 1.0, 0.0, sequence.dataType());
        SDVariable gathered = sd.mmul(select, sequence, false, false, false).reshape(-1, hidden); // [B·P, H]
        SDVariable h = Layers.gelu(sd, Layers.dense(gathered, p.w(), p.b()));
        return Layers.layerNorm(sd, h, p.lnGain(), p.lnBias(), cfg.layerNormEps());
    }

    /** Logits [B·P, V] of {@link #hidden}'s h: the tied decoder. */
    public static SDVariable logits(SameDiff sd, SDVariable h, SDVariable tokenTable, Params p, BertConfig cfg) {
        p.requireShapes(cfg);
        Shapes.require(tokenTable, "the tied decoder (token table) [V, H]", cfg.vocabSize(), cfg.hiddenSize());
        return Layers.addBias(sd.mmul(h, tokenTable, false, true, false), p.outputBias());   // [B·P, V]
    }

    /**
     * The weighted mean negative log-likelihood, Σ(w·nll)/(Σw + 1e-5), with each prediction's
     * nll = log Σ_v exp(logits_v) − logits[id], the log-sum-exp shifted by the row's maximum so that exp cannot
     * overflow (the shift cancels; it carries no gradient). This is −log softmax(logits)[id], written with plain
     * passes over the [B·P, V] logits (max, exp, sum) instead of libnd4j M2.1's {@code log_softmax}, which with its
     * backward took 420 ms of a 2.6 s bert-mini step at 128 tokens and vocabulary 30,522; these passes take about
     * 190 ms (docs/performance.md). M2.1's fused cross-entropy ops are not an option:
     * their gradients ignore the gradient flowing into them, so they are right only as the whole loss.
     *
     * <p>The target logit is not picked out of the logits (a one-hot [B·P, V] product: forward and backward five
     * passes over the largest array of the step) but computed again from its parts, h·tokenTable[id] +
     * outputBias[id], with the decoder's rows and bias at the target ids read by {@link TokenLookup}.
     *
     * @param targetRows tokenTable[ids] [B·P, H]
     * @param targetBias outputBias[ids] [B·P]
     */
    public static SDVariable loss(SameDiff sd, SDVariable logits, SDVariable h, SDVariable targetRows,
                                  SDVariable targetBias, SDVariable weights) {
        SDVariable rowMax = new StopGradient(sd, logits.max(true, 1)).outputVariable();             // [B·P, 1]
        SDVariable logSumExp = sd.math().log(sd.math().exp(logits.sub(rowMax)).sum(true, 1))
                .add(rowMax).reshape(-1);                                                        // [B·P]
        SDVariable targetLogit = h.mul(targetRows).sum(1).add(targetBias);                      // [B·P]
        SDVariable nll = logSumExp.sub(targetLogit);                                             // [B·P]
        SDVariable w = weights.castTo(logits.dataType()).reshape(-1);
        return nll.mul(w).sum().div(w.sum().add(1e-5));
    }
}
