package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT's input embeddings (SPEC §5): token + segment + learned position, summed, LayerNorm, dropout.
 *
 * <pre>
 * inputIds [B, S], tokenTypeIds [B, S]   integer-valued (any numeric type; cast to INT here)
 * tokenTable [V, H], segmentTable [T, H], positionTable [P_max, H], LN gain/bias [H]
 * out = Dropout(LN(tokenTable[ids] + segmentTable[types] + positionTable[0..S-1]))   [B, S, H]
 * </pre>
 *
 * The token table is also the MLM decoder's weight (tied, see {@link MlmHead}); that is why it is a
 * parameter handed around rather than private to this class.
 */
public final class Embeddings {

    /** The parameters of the embedding layer. */
    public record Params(SDVariable tokenTable, SDVariable segmentTable, SDVariable positionTable,
                         SDVariable lnGain, SDVariable lnBias) {
    }

    private Embeddings() {
    }

    /** Creates the tables (truncated normal, std initializerRange) and LayerNorm (gain 1, bias 0). */
    public static Params createParams(SameDiff sd, String prefix, BertConfig cfg, DataType dataType, Random rng) {
        int h = cfg.hiddenSize();
        double std = cfg.initializerRange();
        return new Params(
                sd.var(prefix + "/token", Layers.truncatedNormal(rng, std, dataType, cfg.vocabSize(), h)),
                sd.var(prefix + "/segment", Layers.truncatedNormal(rng, std, dataType, cfg.typeVocabSize(), h)),
                sd.var(prefix + "/position", Layers.truncatedNormal(rng, std, dataType, cfg.maxPositionEmbeddings(), h)),
                sd.var(prefix + "/ln/gain", Nd4j.ones(dataType, h)),
                sd.var(prefix + "/ln/bias", Nd4j.zeros(dataType, h)));
    }

    /** Adds the embedding layer to {@code sd}; returns [B, S, H]. */
    public static SDVariable apply(SameDiff sd, SDVariable inputIds, SDVariable tokenTypeIds, Params p,
                                   BertConfig cfg, int seqLen, boolean training) {
        if (seqLen > cfg.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " > max positions "
                    + cfg.maxPositionEmbeddings());
        }
        int hidden = cfg.hiddenSize();
        SDVariable ids = inputIds.castTo(DataType.INT).reshape(-1);                      // [B·S]
        SDVariable types = tokenTypeIds.castTo(DataType.INT).reshape(-1);                // [B·S]
        // Lookups as onehot · table (Google's use_one_hot_embeddings, the TPU path) instead of gather:
        // in M2.1 the gradient of gather into a variable that is also used elsewhere (the tied decoder)
        // comes out wrong (BertPretrainingTest's gradient check), and two gathers in one graph cannot be
        // differentiated at all ("Unable to replace samediff namespace"). Cost: a [B·S, V] one-hot and a
        // B·S·V·H matmul, the same size as the MLM decoder's matmul per predicted position.
        SDVariable tokenOneHot = sd.oneHot(ids, cfg.vocabSize(), -1, 1.0, 0.0, p.tokenTable().dataType());
        SDVariable tokens = tokenOneHot.mmul(p.tokenTable()).reshape(-1, seqLen, hidden);   // [B, S, H]
        SDVariable segmentOneHot = sd.oneHot(types, cfg.typeVocabSize(), -1, 1.0, 0.0, p.segmentTable().dataType());
        SDVariable segments = segmentOneHot.mmul(p.segmentTable()).reshape(-1, seqLen, hidden);
        SDVariable positions = p.positionTable()
                .get(org.nd4j.autodiff.samediff.SDIndex.interval(0, seqLen),
                        org.nd4j.autodiff.samediff.SDIndex.all());                       // [S, H], broadcast
        SDVariable sum = tokens.add(segments).add(positions).reshape(-1, hidden);        // [B·S, H]
        SDVariable normed = Layers.layerNorm(sd, sum, p.lnGain(), p.lnBias(), cfg.layerNormEps());
        return Layers.dropout(sd, normed, training ? cfg.hiddenDropoutProb() : 0.0).reshape(-1, seqLen, hidden);
    }
}
