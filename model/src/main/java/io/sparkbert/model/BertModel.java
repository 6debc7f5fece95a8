package io.sparkbert.model;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * BERT pretraining as a DL4J {@link ComputationGraph} (what {@code SparkComputationGraph} trains), and the
 * helpers between the preprocessing columns and DL4J's {@link MultiDataSet}.
 *
 * <pre>
 * graph:  input_ids ─┐
 *         token_type_ids ─┤ MergeVertex "features" [B, 3S+P] ─▶ {@link BertPretrainingLayer} "bert" (output)
 *         attention_mask ─┤
 *         masked_lm_positions ─┘
 *
 * MultiDataSet layout (all arrays in the network's floating type, whole-number values):
 *   features[0] input_ids [B,S], [1] token_type_ids [B,S], [2] attention_mask [B,S], [3] masked_lm_positions [B,P]
 *   labels[0]   [B, 2P+1] = masked_lm_ids [B,P] | masked_lm_weights [B,P] | next_sentence_label [B]
 *   no masks (padding is described by attention_mask and masked_lm_weights)
 * output: [B, P·V+2], read with {@link #splitOutput}: mlm_logits [B,P,V], nsp_logits [B,2]
 * score:  BERT's total loss, mlm_loss + nsp_loss (see BertPretrainingLayer, "Loss scaling")
 * </pre>
 *
 * Workspaces are off for training and inference (docs/dl4j-workarounds.md, 2: hand-written SameDiff attention gives
 * garbage with workspaces in M2.1). The model zip of {@code ModelSerializer} (configuration JSON, params,
 * updater state) is the checkpoint format.
 */
public final class BertModel {

    /** The graph's inputs, in MultiDataSet feature order. */
    public static final List<String> INPUT_NAMES = List.of("input_ids", "token_type_ids", "attention_mask",
            "masked_lm_positions");
    /** The merge vertex packing the four features. */
    public static final String FEATURES = "features";
    /** The BERT layer (the graph's only output). */
    public static final String LAYER = "bert";

    /** MLM logits [B, P, V] and NSP logits [B, 2]. */
    public record Outputs(INDArray mlmLogits, INDArray nspLogits) {
    }

    private BertModel() {
    }

    /** Float network trained with Adam(1e-4). */
    public static ComputationGraph build(BertConfig cfg, int seqLen, int maxPredictions, long seed) {
        return build(cfg, seqLen, maxPredictions, seed, DataType.FLOAT, new Adam(1e-4));
    }

    /** An initialised network; parameters equal {@link BertPretraining#createParams}(cfg, dataType, seed). */
    public static ComputationGraph build(BertConfig cfg, int seqLen, int maxPredictions, long seed,
                                         DataType dataType, IUpdater updater) {
        return build(cfg, seqLen, maxPredictions, seed, dataType, new Optimizer(updater, 0, 0));
    }

    /** An initialised network with the given optimizer (see {@link Optimizer#adamW} for BERT's). */
    public static ComputationGraph build(BertConfig cfg, int seqLen, int maxPredictions, long seed,
                                         DataType dataType, Optimizer optimizer) {
        BertPretrainingLayer layer = new BertPretrainingLayer(cfg, seqLen, maxPredictions, seed);
        layer.setFreezeTokenEmbeddings(optimizer.freezeTokenEmbeddings());
        NeuralNetConfiguration.Builder builder = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(optimizer.updater());
        if (optimizer.weightDecay() > 0) {
            builder.weightDecay(optimizer.weightDecay(), true);
        }
        if (optimizer.clipNorm() > 0) {
            builder.gradientNormalization(GradientNormalization.ClipL2PerLayer)
                    .gradientNormalizationThreshold(optimizer.clipNorm());
        }
        ComputationGraphConfiguration conf = builder
                .trainingWorkspaceMode(WorkspaceMode.NONE)
                .inferenceWorkspaceMode(WorkspaceMode.NONE)
                .graphBuilder()
                .addInputs(INPUT_NAMES.toArray(new String[0]))
                .setInputTypes(InputType.feedForward(seqLen), InputType.feedForward(seqLen),
                        InputType.feedForward(seqLen), InputType.feedForward(maxPredictions))
                .addVertex(FEATURES, new MergeVertex(), INPUT_NAMES.toArray(new String[0]))
                .addLayer(LAYER, layer, FEATURES)
                .setOutputs(LAYER)
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    /** The BERT layer's configuration of a network built here. */
    public static BertPretrainingLayer layer(ComputationGraph graph) {
        return (BertPretrainingLayer) graph.getLayer(LAYER).conf().getLayer();
    }

    /**
     * A dropout-free copy of {@code trained} with the same parameters (and updater), for evaluation and
     * inference: DL4J gives a SameDiff layer no training flag, so dropout has to be left out of the graph.
     * Returns {@code trained} itself if it has no dropout.
     */
    public static ComputationGraph forInference(ComputationGraph trained) {
        BertPretrainingLayer l = layer(trained);
        BertConfig cfg = l.bertConfig();
        if (cfg.hiddenDropoutProb() == 0 && cfg.attentionProbsDropoutProb() == 0) {
            return trained;
        }
        ComputationGraphConfiguration conf = trained.getConfiguration().clone();
        BertPretrainingLayer copy = new BertPretrainingLayer(cfg.withoutDropout(), l.seqLen(), l.maxPredictions(),
                l.seed());
        copy.setLayerName(l.getLayerName());
        copy.setFreezeTokenEmbeddings(l.freezeTokenEmbeddings());
        copy.setUpdater(l.getUpdater());
        copy.setBiasUpdater(l.getBiasUpdater());
        copy.setRegularization(l.getRegularization());
        copy.setRegularizationBias(l.getRegularizationBias());
        copy.setGradientNormalization(l.getGradientNormalization());
        copy.setGradientNormalizationThreshold(l.getGradientNormalizationThreshold());
        ((org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get(LAYER)).getLayerConf().setLayer(copy);
        ComputationGraph out = new ComputationGraph(conf);
        out.init(trained.params().dup(), false);
        return out;
    }

    /** Labels packed as the layer expects: [B, 2P+1] = ids | weights | next_sentence_label. */
    public static INDArray packLabels(INDArray maskedLmIds, INDArray maskedLmWeights, INDArray nextSentenceLabel,
                                      DataType dataType) {
        long b = maskedLmIds.size(0);
        return Nd4j.concat(1, maskedLmIds.castTo(dataType), maskedLmWeights.castTo(dataType),
                nextSentenceLabel.castTo(dataType).reshape(b, 1));
    }

    /** The feature arrays in graph input order, cast to {@code dataType}. */
    public static INDArray[] features(INDArray inputIds, INDArray tokenTypeIds, INDArray attentionMask,
                                      INDArray maskedLmPositions, DataType dataType) {
        return new INDArray[] {inputIds.castTo(dataType), tokenTypeIds.castTo(dataType),
                attentionMask.castTo(dataType), maskedLmPositions.castTo(dataType)};
    }

    /** The seven preprocessing columns as a MultiDataSet for {@link #build}'s network. */
    public static MultiDataSet toMultiDataSet(INDArray inputIds, INDArray tokenTypeIds, INDArray attentionMask,
                                              INDArray maskedLmPositions, INDArray maskedLmIds,
                                              INDArray maskedLmWeights, INDArray nextSentenceLabel,
                                              DataType dataType) {
        return new MultiDataSet(features(inputIds, tokenTypeIds, attentionMask, maskedLmPositions, dataType),
                new INDArray[] {packLabels(maskedLmIds, maskedLmWeights, nextSentenceLabel, dataType)});
    }

    /** The seven columns as Java arrays ([B][S] ×3, [B][P] ×3, [B]). */
    public static MultiDataSet toMultiDataSet(int[][] inputIds, int[][] tokenTypeIds, int[][] attentionMask,
                                              int[][] maskedLmPositions, int[][] maskedLmIds,
                                              float[][] maskedLmWeights, int[] nextSentenceLabel,
                                              DataType dataType) {
        return toMultiDataSet(Nd4j.createFromArray(inputIds), Nd4j.createFromArray(tokenTypeIds),
                Nd4j.createFromArray(attentionMask), Nd4j.createFromArray(maskedLmPositions),
                Nd4j.createFromArray(maskedLmIds), Nd4j.createFromArray(maskedLmWeights),
                Nd4j.createFromArray(nextSentenceLabel), dataType);
    }

    /** Splits the layer's packed output [B, P·V+2] into MLM logits [B, P, V] and NSP logits [B, 2]. */
    public static Outputs splitOutput(INDArray packed, int maxPredictions, int vocabSize) {
        long pv = (long) maxPredictions * vocabSize;
        INDArray mlm = packed.get(NDArrayIndex.all(), NDArrayIndex.interval(0, pv)).dup()
                .reshape(packed.size(0), maxPredictions, vocabSize);
        INDArray nsp = packed.get(NDArrayIndex.all(), NDArrayIndex.interval(pv, pv + 2)).dup();
        return new Outputs(mlm, nsp);
    }

    /** Runs the network (inference mode) and splits its output. */
    public static Outputs output(ComputationGraph graph, INDArray... features) {
        BertPretrainingLayer l = layer(graph);
        INDArray packed = graph.output(false, features)[0];
        return splitOutput(packed, l.maxPredictions(), l.bertConfig().vocabSize());
    }
}
