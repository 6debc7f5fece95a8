package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT's input embeddings (docs/design.md §5): token + segment + learned position, summed, LayerNorm, dropout.
 *
 * <pre>
 * tokens = tokenTable[inputIds] [B, S, H] (looked up by {@link TokenLookup}), tokenTypeIds [B, S] integer-valued
 * tokenTable [V, H], segmentTable [T, H], positionTable [P_max, H], LN gain/bias [H]
 * out = Dropout(LN(tokens + segmentTable[types] + positionTable[0..S-1]))   [B, S, H]
 * </pre>
 *
 * The token table is also the MLM decoder's weight (tied, see {@link MlmHead}); that is why it is a
 * parameter handed around rather than private to this class.
 *
 * <p>The token lookup itself is part of the model's one gather, {@link TokenLookup} (M2.1 can differentiate only
 * one gather per graph, and that one wrongly: see there).
 */
public final class Embeddings {

    /** The parameters of the embedding layer. */
    public record Params(SDVariable tokenTable, SDVariable segmentTable, SDVariable positionTable,
                         SDVariable lnGain, SDVariable lnBias) {

        /** Requires tables [V, H], [types, H], [max positions, H] and LayerNorm [H] for {@code cfg}. */
        void requireShapes(BertConfig cfg) {
            long h = cfg.hiddenSize();
            Shapes.require(tokenTable, "the token table [V, H]", cfg.vocabSize(), h);
            Shapes.require(segmentTable, "the segment table [types, H]", cfg.typeVocabSize(), h);
            Shapes.require(positionTable, "the position table [max positions, H]", cfg.maxPositionEmbeddings(), h);
            Shapes.require(lnGain, "the LayerNorm gain [H]", h);
            Shapes.require(lnBias, "the LayerNorm bias [H]", h);
        }
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

    /** Adds the embedding layer to {@code sd} over the looked-up {@code tokens} [B, S, H]; returns [B, S, H]. */
    public static SDVariable apply(SameDiff sd, SDVariable tokens, SDVariable tokenTypeIds, Params p,
                                   BertConfig cfg, int seqLen, boolean training) {
        if (seqLen > cfg.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " > max positions "
                    + cfg.maxPositionEmbeddings());
        }
        p.requireShapes(cfg);
        Shapes.require(tokenTypeIds, "token_type_ids [B, S]", Shapes.ANY, seqLen);
        int hidden = cfg.hiddenSize();
        SDVariable types = tokenTypeIds.castTo(DataType.INT).reshape(-1);                   // [B·S]
        // two rows: a one-hot matmul is as cheap as a gather and M2.1 differentiates it correctly
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
