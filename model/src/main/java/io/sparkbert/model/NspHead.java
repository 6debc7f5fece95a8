package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The next-sentence head and loss (docs/design.md §5), as Google's pooler + {@code get_next_sentence_output}.
 *
 * <pre>
 * sequence [B, S, H], label [B] (0 IsNext, 1 NotNext)
 * pooled = tanh(sequence[:, 0, :]·Wp + bp)     [B, H]   the [CLS] vector
 * logits = pooled·Wc + bc                      [B, 2]
 * loss   = mean over the batch of -log softmax(logits)[label]
 * </pre>
 */
public final class NspHead {

    /** Pooler dense and the 2-way classifier. */
    public record Params(SDVariable poolerW, SDVariable poolerB, SDVariable w, SDVariable b) {

        /** Requires the pooler [H, H] + [H] and the classifier [H, 2] + [2]; H is the pooler's. */
        void requireShapes() {
            long h = poolerW.getShape() == null ? Shapes.ANY : poolerW.getShape()[0];
            Shapes.require(poolerW, "the pooler weight [H, H]", h, h);
            Shapes.require(poolerB, "the pooler bias [H]", h);
            Shapes.require(w, "the NSP classifier weight [H, 2]", h, 2);
            Shapes.require(b, "the NSP classifier bias [2]", 2);
        }
    }

    private NspHead() {
    }

    public static Params createParams(SameDiff sd, String prefix, BertConfig cfg, DataType dataType, Random rng) {
        int h = cfg.hiddenSize();
        double std = cfg.initializerRange();
        return new Params(
                sd.var(prefix + "/pooler/w", Layers.truncatedNormal(rng, std, dataType, h, h)),
                sd.var(prefix + "/pooler/b", Nd4j.zeros(dataType, h)),
                sd.var(prefix + "/classifier/w", Layers.truncatedNormal(rng, std, dataType, h, 2)),
                sd.var(prefix + "/classifier/b", Nd4j.zeros(dataType, 2)));
    }

    /** Logits [B, 2]. */
    public static SDVariable logits(SameDiff sd, SDVariable sequence, Params p) {
        p.requireShapes();
        SDVariable cls = sequence.get(SDIndex.all(), SDIndex.point(0), SDIndex.all());        // [B, H]
        SDVariable pooled = sd.math().tanh(Layers.dense(cls, p.poolerW(), p.poolerB()));
        return Layers.dense(pooled, p.w(), p.b());
    }

    /** Mean cross-entropy over the batch. */
    public static SDVariable loss(SameDiff sd, SDVariable logits, SDVariable labels) {
        SDVariable logProbs = sd.nn().logSoftmax(logits);   // last axis; the (x, dim) overload fails in backprop in M2.1
        SDVariable target = sd.oneHot(labels.castTo(DataType.INT).reshape(-1), 2, -1, 1.0, 0.0, logits.dataType());
        return logProbs.mul(target).sum(1).neg().mean();
    }
}
