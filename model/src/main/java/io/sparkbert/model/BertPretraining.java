package io.sparkbert.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The whole BERT pretraining model — embeddings, L encoder blocks, MLM and NSP heads and their losses —
 * as ONE SameDiff graph.
 *
 * <pre>
 * inputs (the preprocessing columns, docs/design.md §3.4), B batch, S fixed sequence length, P max predictions:
 *   input_ids [B, S], token_type_ids [B, S], attention_mask [B, S],
 *   masked_lm_positions [B, P], masked_lm_ids [B, P], masked_lm_weights [B, P], next_sentence_label [B]
 * outputs: "mlm_loss", "nsp_loss", "loss" = mlm_loss + nsp_loss (scalars),
 *          "mlm_logits" [B·P, V], "nsp_logits" [B, 2], "sequence_output" [B, S, H]
 * </pre>
 *
 * One graph is what makes the MLM decoder really tied to the token embeddings: both use the same
 * SDVariable, so SameDiff sums the two gradient contributions into the one parameter. Splitting the
 * model into separate DL4J layers would need two copies kept in sync by hand.
 *
 * <p>Gradients: compute them with {@link #gradients}, not with SameDiff's {@code calculateGradients} or
 * {@code fit} alone. SameDiff differentiates the decoder's use of the token table; the parts of the row
 * gather (the embedding lookup, the MLM loss's target rows and bias) are added by {@link TokenLookup#addGradient}
 * (M2.1's gather gradient is wrong, see {@link TokenLookup}).
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

    /** Creates all parameters in {@code sd} (docs/design.md §5 init, deterministic for the seed). */
    public static Params createParams(SameDiff sd, BertConfig cfg, DataType dataType, long seed) {
        return createParams(sd, cfg, dataType, new Random(seed));
    }

    /**
     * The parameters of {@link #createParams} (same names, shapes and types) with zero values, drawing no random
     * numbers: for templates, and for graphs whose parameters are assigned right after.
     */
    public static Params declareParams(SameDiff sd, BertConfig cfg, DataType dataType) {
        return createParams(sd, cfg, dataType, Layers.SHAPES_ONLY);
    }

    private static Params createParams(SameDiff sd, BertConfig cfg, DataType dataType, Random rng) {
        Embeddings.Params emb = Embeddings.createParams(sd, "embeddings", cfg, dataType, rng);
        List<EncoderBlock.Params> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.numHiddenLayers(); l++) {
            blocks.add(EncoderBlock.createParams(sd, "layer_" + l, cfg, dataType, rng));
        }
        return new Params(emb, blocks, MlmHead.createParams(sd, "mlm", cfg, dataType, rng),
                NspHead.createParams(sd, "nsp", cfg, dataType, rng));
    }

    /** Adds the forward pass and the losses to {@code sd}; sets "loss" as the loss variable. */
    public static Graph build(SameDiff sd, Inputs in, Params p, BertConfig cfg, int seqLen, int maxPredictions,
                              boolean training) {
        SDVariable tokenTable = p.embeddings().tokenTable();
        TokenLookup lookup = TokenLookup.gather(sd, tokenTable, p.mlm().outputBias(), in.inputIds(), in.maskedLmIds(),
                seqLen, maxPredictions);
        SDVariable x = Embeddings.apply(sd, lookup.tokens(), in.tokenTypeIds(), p.embeddings(), cfg, seqLen, training);
        SDVariable mask = in.attentionMask().castTo(x.dataType());
        for (EncoderBlock.Params block : p.blocks()) {
            x = EncoderBlock.apply(sd, x, mask, block, cfg, seqLen, training);
        }
        // the named outputs are identities (copies in libnd4j) beside the path to the loss, not on it: a training
        // step then never computes them, nor their backward (at BERT's vocabulary the MLM logits are 78 MB)
        SDVariable mlmHidden = MlmHead.hidden(sd, x, in.maskedLmPositions(), p.mlm(), cfg, seqLen);
        SDVariable logits = MlmHead.logits(sd, mlmHidden, tokenTable, p.mlm(), cfg);
        SDVariable pairLogits = NspHead.logits(sd, x, p.nsp());
        SDVariable sequenceOutput = sd.identity("sequence_output", x);
        SDVariable mlmLogits = sd.identity("mlm_logits", logits);
        SDVariable nspLogits = sd.identity("nsp_logits", pairLogits);
        SDVariable mlmLoss = sd.identity("mlm_loss",
                MlmHead.loss(sd, logits, mlmHidden, lookup.targetRows(), lookup.targetBias(), in.maskedLmWeights()));
        SDVariable nspLoss = sd.identity("nsp_loss", NspHead.loss(sd, pairLogits, in.nextSentenceLabel()));
        SDVariable loss = sd.identity("loss", mlmLoss.add(nspLoss));
        sd.setLossVariables(loss);
        return new Graph(sd, p, loss, mlmLoss, nspLoss, mlmLogits, nspLogits, sequenceOutput);
    }

    /** Losses, other requested outputs and COMPLETE parameter gradients of one execution. */
    public record Gradients(Map<String, INDArray> outputs, Map<String, INDArray> gradients) {
    }

    /**
     * One forward + backward execution of the graph in {@code sd} (built by {@link #build}): the requested
     * outputs, and dLoss/dv for every {@code variables} entry (parameters or placeholders), with the gradients of
     * the token table and the MLM output bias completed by the parts of {@link TokenLookup}'s gather.
     * {@code tokenTable} and {@code outputBias} name those two variables in {@code sd}.
     */
    public static Gradients gradients(SameDiff sd, Map<String, INDArray> placeholders, List<String> outputs,
                                      List<String> variables, String tokenTable, String outputBias) {
        List<String> outs = new ArrayList<>(outputs);
        outs.add(TokenLookup.IDS);
        List<String> vars = new ArrayList<>(variables);
        vars.add(TokenLookup.ROWS);
        // SameDiff's calculateGradientsAndOutputs, but with the session's array cache ON: it switches the
        // cache off for gradient functions, so every intermediate array of every step is a fresh native
        // allocation (1.3 GB per bert-mini step at B=8, a fifth of its time in allocation and in the
        // GC pauses JavaCPP forces to free them). With the cache, arrays released within a step are reused
        // in the same and the next step; the results are bit-identical (BertPretrainingTest).
        if (sd.getFunction(GRAD_FUNCTION) == null) {
            sd.createGradFunction();
        }
        SameDiff gradFn = sd.getFunction(GRAD_FUNCTION);
        reuseArrays(gradFn);
        gradFn.setListeners(sd.getListeners());
        List<String> names = new ArrayList<>(outs);
        for (String v : vars) {
            names.add(gradientName(sd, v));
        }
        Map<String, INDArray> values = gradFn.output(typed(gradFn, placeholders), names.toArray(new String[0]));
        Map<String, INDArray> grads = new HashMap<>();
        for (String v : vars) {
            grads.put(v, values.get(gradientName(sd, v)));
        }
        Map<String, INDArray> outValues = new HashMap<>();
        for (String o : outs) {
            outValues.put(o, values.get(o));
        }
        TokenLookup.addGradient(grads.get(tokenTable), grads.get(outputBias), outValues.get(TokenLookup.IDS),
                grads.remove(TokenLookup.ROWS));
        outValues.remove(TokenLookup.IDS);
        return new Gradients(outValues, grads);
    }

    /**
     * Turns on the array cache of this thread's session of {@code sd}, with a cache that reuses buffers by length,
     * not only by exact shape, and shares them with every other session of the process
     * ({@link LengthKeyedMemoryMgr#shared}): arrays released within an execution are reused in the same and the
     * next ones, of this graph or another one (training and evaluation), instead of being fresh native allocations.
     */
    static void reuseArrays(SameDiff sd) {
        sd.setEnableCache(true);
        InferenceSession session = sd.getSessions().computeIfAbsent(Thread.currentThread().getId(),
                id -> SameDiff.getInferenceFactory().create(sd));
        if (!(session.getMmgr() instanceof LengthKeyedMemoryMgr)) {
            session.setMmgr(LengthKeyedMemoryMgr.shared());
        }
    }

    /** The name of SameDiff's gradient function (as {@code SameDiff.GRAD_FN_KEY}). */
    private static final String GRAD_FUNCTION = "grad";

    private static String gradientName(SameDiff sd, String variable) {
        SDVariable grad = sd.getVariable(variable).getGradient();
        if (grad == null) {
            throw new IllegalArgumentException("the loss does not depend on " + variable);
        }
        return grad.name();
    }

    /**
     * The placeholder values in their placeholders' data types, cast here when they differ. SameDiff would
     * cast them itself, but then (M2.1, InferenceSession.preprocessPlaceholders) it marks the CALLER's
     * original array, not its cast copy, as freed at the end of the execution: with the array cache on,
     * the caller's input would be closed or handed out again as scratch memory.
     */
    private static Map<String, INDArray> typed(SameDiff sd, Map<String, INDArray> placeholders) {
        Map<String, INDArray> out = new HashMap<>();
        for (Map.Entry<String, INDArray> e : placeholders.entrySet()) {
            DataType dt = sd.getVariable(e.getKey()).dataType();
            INDArray value = e.getValue();
            out.put(e.getKey(), value.dataType() == dt ? value : value.castTo(dt));
        }
        return out;
    }

    /** {@link #gradients} of all parameters of a graph made by {@link #create}. */
    public static Gradients gradients(Graph g, Map<String, INDArray> placeholders, List<String> outputs) {
        List<String> params = new ArrayList<>();
        for (SDVariable v : g.sd().variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                params.add(v.name());
            }
        }
        return gradients(g.sd(), placeholders, outputs, params, g.params().embeddings().tokenTable().name(),
                g.params().mlm().outputBias().name());
    }

    /** A fresh standalone graph with placeholders: for SameDiff training, inference and tests. */
    public static Graph create(BertConfig cfg, int seqLen, int maxPredictions, boolean training, long seed,
                               DataType dataType) {
        SameDiff sd = SameDiff.create();
        Inputs in = placeholders(sd, seqLen, maxPredictions, dataType);
        return build(sd, in, createParams(sd, cfg, dataType, seed), cfg, seqLen, maxPredictions, training);
    }

    /** {@link #create}'s graph with zero parameters ({@link #declareParams}), for values assigned right after. */
    public static Graph declare(BertConfig cfg, int seqLen, int maxPredictions, boolean training, DataType dataType) {
        SameDiff sd = SameDiff.create();
        Inputs in = placeholders(sd, seqLen, maxPredictions, dataType);
        return build(sd, in, declareParams(sd, cfg, dataType), cfg, seqLen, maxPredictions, training);
    }
}
