package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT's input embeddings (docs/design.md §5): token + segment + learned position, summed, LayerNorm, dropout.
 *
 * <pre>
 * inputIds [B, S], tokenTypeIds [B, S]   integer-valued (any numeric type; cast to INT here)
 * tokenTable [V, H], segmentTable [T, H], positionTable [P_max, H], LN gain/bias [H]
 * out = Dropout(LN(tokenTable[ids] + segmentTable[types] + positionTable[0..S-1]))   [B, S, H]
 * </pre>
 *
 * The token table is also the MLM decoder's weight (tied, see {@link MlmHead}); that is why it is a
 * parameter handed around rather than private to this class.
 *
 * <h2>The token lookup is a gather whose gradient is added outside the graph</h2>
 * A lookup is a row gather, but M2.1 differentiates {@code gather} with a scatter that ASSIGNS instead
 * of adds ({@code Gather.doDiff}: {@code zerosLike(table).put(indices, grad)}): a token that occurs
 * twice in a batch gets one occurrence's gradient. The table therefore reaches the gather through a
 * {@code StopGradient} (SameDiff differentiates only the decoder's use of it), the gathered rows are
 * the named variable {@value #TOKEN_VECTORS}, and whoever computes gradients adds
 * dL/d{@value #TOKEN_VECTORS} into the table's rows with {@link #addLookupGradient}
 * ({@link BertPretraining#gradients} does, and so does the DL4J layer). This replaces a one-hot matmul
 * ([B·S, V]·[V, H] forward, two more of that size backward) whose cost grew with the vocabulary.
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

    /** The token ids of the lookup, [B·S] INT (an output, for {@link #addLookupGradient}). */
    public static final String TOKEN_IDS = "embeddings/token_ids";
    /** The looked-up token vectors, [B·S, H]: their gradient is the lookup's part of the table's. */
    public static final String TOKEN_VECTORS = "embeddings/token_vectors";

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
        p.requireShapes(cfg);
        Shapes.require(inputIds, "input_ids [B, S]", Shapes.ANY, seqLen);
        Shapes.require(tokenTypeIds, "token_type_ids [B, S]", Shapes.ANY, seqLen);
        int hidden = cfg.hiddenSize();
        SDVariable ids = sd.identity(TOKEN_IDS, inputIds.castTo(DataType.INT).reshape(-1));  // [B·S]
        SDVariable types = tokenTypeIds.castTo(DataType.INT).reshape(-1);                   // [B·S]
        SDVariable lookupTable = new StopGradient(sd, p.tokenTable()).outputVariable();
        SDVariable tokens = sd.gather(TOKEN_VECTORS, lookupTable, ids, 0)                   // [B·S, H]
                .reshape(-1, seqLen, hidden);                                               // [B, S, H]
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

    /**
     * Completes the token table's gradient with the lookup's part (see the class comment): adds row i of
     * {@code vectorsGrad} (dL/d{@value #TOKEN_VECTORS}, [B·S, H]) to row {@code ids[i]} of {@code tableGrad}
     * ([V, H], in place). Repeated ids add up. Single-threaded scatter: libnd4j's parallel scatter_add
     * races on repeated ids, and a sequential one adds in a fixed order (same bytes every run).
     */
    public static void addLookupGradient(INDArray tableGrad, INDArray ids, INDArray vectorsGrad) {
        ScatterAdd scatter = new ScatterAdd(tableGrad, ids, vectorsGrad.castTo(tableGrad.dataType()));
        scatter.addOutputArgument(tableGrad);   // in place
        scatter.addBArgument(true);             // "lock": one thread
        Nd4j.exec(scatter);
    }
}
