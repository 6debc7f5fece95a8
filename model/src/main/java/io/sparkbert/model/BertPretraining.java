package io.sparkbert.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The whole BERT pretraining model — embeddings, L encoder blocks, MLM and NSP heads and their losses —
 * as ONE SameDiff graph.
 *
 * <pre>
 * inputs (the preprocessing columns, SPEC §3), B batch, S fixed sequence length, P max predictions:
 *   input_ids [B, S], token_type_ids [B, S], attention_mask [B, S],
 *   masked_lm_positions [B, P], masked_lm_ids [B, P], masked_lm_weights [B, P], next_sentence_label [B]
 * outputs: "mlm_loss", "nsp_loss", "loss" = mlm_loss + nsp_loss (scalars),
 *          "mlm_logits" [B·P, V], "nsp_logits" [B, 2], "sequence_output" [B, S, H]
 * </pre>
 *
 * One graph is what makes the MLM decoder really tied to the token embeddings: both use the same
 * SDVariable, so SameDiff sums the two gradient contributions into the one parameter. Splitting the
 * model into separate DL4J layers would need two copies kept in sync by hand.
 */
public final class BertPretraining {

    /** The seven input variables (placeholders for training, constants in tests). */
    public record Inputs(SDVariable inputIds, SDVariable tokenTypeIds, SDVariable attentionMask,
                         SDVariable maskedLmPositions, SDVariable maskedLmIds, SDVariable maskedLmWeights,
                         SDVariable nextSentenceLabel) {
    }

    /** All parameters of the model. */
    public record Params(Embeddings.Params embeddings, List<EncoderBlock.Params> blocks,
                         MlmHead.Params mlm, NspHead.Params nsp) {
    }

    /** The built graph and its named outputs. */
    public record Graph(SameDiff sd, Params params, SDVariable loss, SDVariable mlmLoss, SDVariable nspLoss,
                        SDVariable mlmLogits, SDVariable nspLogits, SDVariable sequenceOutput) {
    }

    /** Input names, in the order of the preprocessing columns. */
    public static final List<String> INPUT_NAMES = List.of("input_ids", "token_type_ids", "attention_mask",
            "masked_lm_positions", "masked_lm_ids", "masked_lm_weights", "next_sentence_label");

    private BertPretraining() {
    }

    /** Placeholders for the seven inputs, all of {@code dataType} (DL4J feeds floating arrays). */
    public static Inputs placeholders(SameDiff sd, int seqLen, int maxPredictions, DataType dataType) {
        return new Inputs(
                sd.placeHolder(INPUT_NAMES.get(0), dataType, -1, seqLen),
                sd.placeHolder(INPUT_NAMES.get(1), dataType, -1, seqLen),
                sd.placeHolder(INPUT_NAMES.get(2), dataType, -1, seqLen),
                sd.placeHolder(INPUT_NAMES.get(3), dataType, -1, maxPredictions),
                sd.placeHolder(INPUT_NAMES.get(4), dataType, -1, maxPredictions),
                sd.placeHolder(INPUT_NAMES.get(5), dataType, -1, maxPredictions),
                sd.placeHolder(INPUT_NAMES.get(6), dataType, -1));
    }

    /** Creates all parameters in {@code sd} (SPEC §5 init, deterministic for the seed). */
    public static Params createParams(SameDiff sd, BertConfig cfg, DataType dataType, long seed) {
        Random rng = new Random(seed);
        Embeddings.Params emb = Embeddings.createParams(sd, "embeddings", cfg, dataType, rng);
        List<EncoderBlock.Params> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.numHiddenLayers(); l++) {
            blocks.add(EncoderBlock.createParams(sd, "layer_" + l, cfg, dataType, rng));
        }
        return new Params(emb, blocks, MlmHead.createParams(sd, "mlm", cfg, dataType, rng),
                NspHead.createParams(sd, "nsp", cfg, dataType, rng));
    }

    /** Adds the forward pass and the losses to {@code sd}; sets "loss" as the loss variable. */
    public static Graph build(SameDiff sd, Inputs in, Params p, BertConfig cfg, int seqLen, boolean training) {
        SDVariable x = Embeddings.apply(sd, in.inputIds(), in.tokenTypeIds(), p.embeddings(), cfg, seqLen, training);
        SDVariable mask = in.attentionMask().castTo(x.dataType());
        for (EncoderBlock.Params block : p.blocks()) {
            x = EncoderBlock.apply(sd, x, mask, block, cfg, seqLen, training);
        }
        SDVariable sequenceOutput = sd.identity("sequence_output", x);
        SDVariable mlmLogits = sd.identity("mlm_logits", MlmHead.logits(sd, sequenceOutput,
                in.maskedLmPositions(), p.embeddings().tokenTable(), p.mlm(), cfg, seqLen));
        SDVariable nspLogits = sd.identity("nsp_logits", NspHead.logits(sd, sequenceOutput, p.nsp()));
        SDVariable mlmLoss = sd.identity("mlm_loss",
                MlmHead.loss(sd, mlmLogits, in.maskedLmIds(), in.maskedLmWeights(), cfg));
        SDVariable nspLoss = sd.identity("nsp_loss", NspHead.loss(sd, nspLogits, in.nextSentenceLabel()));
        SDVariable loss = sd.identity("loss", mlmLoss.add(nspLoss));
        sd.setLossVariables(loss);
        return new Graph(sd, p, loss, mlmLoss, nspLoss, mlmLogits, nspLogits, sequenceOutput);
    }

    /** A fresh standalone graph with placeholders: for SameDiff training, inference and tests. */
    public static Graph create(BertConfig cfg, int seqLen, int maxPredictions, boolean training, long seed,
                               DataType dataType) {
        SameDiff sd = SameDiff.create();
        Inputs in = placeholders(sd, seqLen, maxPredictions, dataType);
        return build(sd, in, createParams(sd, cfg, dataType, seed), cfg, seqLen, training);
    }
}
