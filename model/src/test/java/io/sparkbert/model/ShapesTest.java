package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Wrong shapes fail while the graph is built, naming what was wrong (modeling.py's assert_rank habit). */
class ShapesTest {
    // vocab 10, hidden 4, 1 layer, 2 heads, intermediate 8
    private static final BertConfig CFG = new BertConfig(10, 4, 1, 2, 8, "gelu", 0.0, 0.0, 512, 2, 0.02, 1e-12);
    private static final int SEQ = 6;

    @Test
    void aWrongAttentionWeightIsNamed() {
        SameDiff sd = SameDiff.create();
        SelfAttention.Params good = SelfAttention.createParams(sd, "a", 4, 0.02, DataType.DOUBLE, new Random(1));
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, SEQ, 4);
        assertDoesNotThrow(() -> SelfAttention.apply(sd, x, null, good, 2, SEQ, 0.0, false));

        SDVariable wide = sd.var("wide", Nd4j.zeros(DataType.DOUBLE, 4, 5));
        SelfAttention.Params bad = new SelfAttention.Params(good.wq(), good.bq(), wide, good.bk(), good.wv(), good.bv(),
                good.wo(), good.bo());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SelfAttention.apply(sd, x, null, bad, 2, SEQ, 0.0, false));
        assertTrue(e.getMessage().contains("attention weight [H, H]") && e.getMessage().contains("'wide' has [4, 5]"),
                e.getMessage());
    }

    @Test
    void inputsOfAnotherSequenceLengthAreNamed() {
        SameDiff sd = SameDiff.create();
        Embeddings.Params p = Embeddings.createParams(sd, "emb", CFG, DataType.DOUBLE, new Random(2));
        MlmHead.Params mlm = MlmHead.createParams(sd, "mlm", CFG, DataType.DOUBLE, new Random(3));
        SDVariable ids = sd.placeHolder("input_ids", DataType.DOUBLE, -1, SEQ + 2);
        SDVariable lmIds = sd.placeHolder("masked_lm_ids", DataType.DOUBLE, -1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenLookup.gather(sd, p.tokenTable(), mlm.outputBias(), ids, lmIds, SEQ, 2));
        assertTrue(e.getMessage().contains("input_ids [B, S] must have shape [any, 6], but 'input_ids' has [-1, 8]"),
                e.getMessage());
    }

    @Test
    void aDecoderBiasOfAnotherVocabularyIsNamed() {
        SameDiff sd = SameDiff.create();
        BertConfig otherVocab = new BertConfig(12, 4, 1, 2, 8, "gelu", 0.0, 0.0, 512, 2, 0.02, 1e-12);
        MlmHead.Params p = MlmHead.createParams(sd, "mlm", otherVocab, DataType.DOUBLE, new Random(3));
        SDVariable table = sd.var("token", Nd4j.zeros(DataType.DOUBLE, 10, 4));
        SDVariable h = sd.placeHolder("h", DataType.DOUBLE, -1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MlmHead.logits(sd, h, table, p, CFG));
        assertTrue(e.getMessage().contains("MLM output bias [V] must have shape [10]"), e.getMessage());
    }

    @Test
    void theOutputOfAnOpHasNoStaticShapeAndIsNotChecked() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 3);
        SDVariable y = x.mul(2.0);
        // whatever SameDiff knows of y before it runs, a check of it must not fail on a free batch axis
        assertDoesNotThrow(() -> Shapes.require(y, "y [B, 3]", Shapes.ANY, 3));
        assertThrows(IllegalArgumentException.class, () -> Shapes.require(x, "x [B, 4]", Shapes.ANY, 4));
        assertThrows(IllegalArgumentException.class, () -> Shapes.require(x, "x [B, 3, 1]", Shapes.ANY, 3, 1));
    }
}
