package io.sparkbert.model;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The whole {@link BertPretraining} graph as ONE DL4J layer: a {@link SameDiffOutputLayer}, so that a
 * {@code ComputationGraph} (and therefore {@code SparkComputationGraph} with
 * {@code ParameterAveragingTrainingMaster}) can train it. {@link BertModel} builds the network around it.
 *
 * <h2>Why a SameDiffOutputLayer and not a SameDiffVertex</h2>
 * In DL4J 1.0.0-M2.1 every {@code SameDiffVertex}/{@code SameDiffLayer} returns gradients exactly 2x too
 * large: DL4J feeds the incoming epsilon through an {@code ExternalErrorsFunction} whose gradient is
 * counted twice (docs/dl4j-workarounds.md, 1). A {@code SameDiffOutputLayer} does not use that function at all: it
 * computes the loss inside its own SameDiff graph and asks SameDiff directly for
 * {@code calculateGradients(loss)}, so its gradients are right without any patch (the DL4J
 * {@code GradientCheckUtil} check in BertModelTest passes unmodified). It also puts the loss where BERT
 * has it — in the same graph as the tied MLM decoder — and needs no separate DL4J loss layer.
 *
 * <p>Its one restriction is a single input and a single labels array, so the columns are packed
 * ({@link BertModel} does this; the MultiDataSet still carries the four feature columns separately, a
 * {@code MergeVertex} concatenates them in front of this layer):
 * <pre>
 * input  [B, 3S+P] = input_ids [B,S] | token_type_ids [B,S] | attention_mask [B,S] | masked_lm_positions [B,P]
 * labels [B, 2P+1] = masked_lm_ids [B,P] | masked_lm_weights [B,P] | next_sentence_label [B,1]
 * output [B, P·V+2] = mlm_logits [B, P, V] flattened row-major | nsp_logits [B, 2]   (activations)
 * </pre>
 * All values are whole numbers stored in the network's floating type (exact in float up to 2^24).
 *
 * <h2>Parameters</h2>
 * Defined and initialised by {@link BertPretraining#createParams} on a scratch graph (same names, same
 * shapes, same values for the same seed: truncated normal with std initializerRange for weights, zero
 * biases, unit LayerNorm gains), then handed to DL4J as the layer's parameter table (keys:
 * {@link #paramKey}). Inside
 * {@link #defineLayer} the {@link BertPretraining.Params} records are rebuilt over DL4J's variables, so the
 * token table is ONE parameter used by both the embedding lookup and the MLM decoder: the tying is real.
 *
 * <h2>Loss scaling</h2>
 * DL4J's convention for output layers is: the layer's loss is a SUM over the minibatch; the reported score
 * is divided by B ({@code SameDiffOutputLayer.computeScore}) and so are the gradients (by the updater,
 * {@code miniBatch=true}). BERT's loss is already a mean, so the layer's loss variable is {@code B·loss}
 * (B read from the labels): the score is then exactly BERT's loss and the applied gradient its gradient.
 *
 * <h2>Dropout (training vs inference) — limitation</h2>
 * DL4J builds a SameDiff layer's graph ONCE ({@code doInit}) and gives it no training flag: the same graph
 * serves {@code fit}, {@code score} and {@code output}. This layer therefore builds BERT with the dropout
 * rates of its config: a dropout-free config (both rates 0) is correct everywhere; a config with dropout
 * is a TRAINING network (its {@code output()} is stochastic). For evaluation/inference use
 * {@link BertModel#forInference}, which copies the parameters into a dropout-free network.
 * {@link Layers#dropout} draws a fresh keep mask at every execution (forward and backprop are separate
 * executions, so they draw different masks; see {@link Layers.FreshRandomness}).
 *
 * <p>The sequence length S and the number of predictions P are fixed (part of the graph); the batch
 * dimension is free. Train with {@code WorkspaceMode.NONE} (docs/dl4j-workarounds.md, 2).
 */
public class BertPretrainingLayer extends SameDiffOutputLayer {

    /** The name of the activations variable (packed logits). */
    public static final String ACTIVATIONS = "activations";
    /** The name of the loss variable DL4J differentiates (B · loss). */
    public static final String SUMMED_LOSS = "summed_loss";
    /** BERT's MLM and NSP losses inside the layer's graph (see {@link BertPretraining}). */
    public static final String MLM_LOSS = "mlm_loss";
    public static final String NSP_LOSS = "nsp_loss";

    // BertConfig, field by field: DL4J serialises layer configs with Jackson (model zip, Spark broadcast)
    @JsonProperty
    private int vocabSize;
    @JsonProperty
    private int hiddenSize;
    @JsonProperty
    private int numHiddenLayers;
    @JsonProperty
    private int numAttentionHeads;
    @JsonProperty
    private int intermediateSize;
    @JsonProperty
    private String hiddenAct;
    @JsonProperty
    private double hiddenDropoutProb;
    @JsonProperty
    private double attentionProbsDropoutProb;
    @JsonProperty
    private int maxPositionEmbeddings;
    @JsonProperty
    private int typeVocabSize;
    @JsonProperty
    private double initializerRange;
    @JsonProperty
    private double layerNormEps;

    @JsonProperty
    private int seqLen;
    @JsonProperty
    private int maxPredictions;
    @JsonProperty
    private long seed;
    @JsonProperty
    private boolean freezeTokenEmbeddings;

    /** For Jackson only. */
    public BertPretrainingLayer() {
    }

    public BertPretrainingLayer(BertConfig cfg, int seqLen, int maxPredictions, long seed) {
        if (seqLen <= 0 || seqLen > cfg.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("seqLen must be in [1, " + cfg.maxPositionEmbeddings() + "], got "
                    + seqLen);
        }
        if (maxPredictions <= 0) {
            throw new IllegalArgumentException("maxPredictions must be > 0, got " + maxPredictions);
        }
        this.vocabSize = cfg.vocabSize();
        this.hiddenSize = cfg.hiddenSize();
        this.numHiddenLayers = cfg.numHiddenLayers();
        this.numAttentionHeads = cfg.numAttentionHeads();
        this.intermediateSize = cfg.intermediateSize();
        this.hiddenAct = cfg.hiddenAct();
        this.hiddenDropoutProb = cfg.hiddenDropoutProb();
        this.attentionProbsDropoutProb = cfg.attentionProbsDropoutProb();
        this.maxPositionEmbeddings = cfg.maxPositionEmbeddings();
        this.typeVocabSize = cfg.typeVocabSize();
        this.initializerRange = cfg.initializerRange();
        this.layerNormEps = cfg.layerNormEps();
        this.seqLen = seqLen;
        this.maxPredictions = maxPredictions;
        this.seed = seed;
    }

    /** The BERT hyper-parameters of this layer. */
    public BertConfig bertConfig() {
        return new BertConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                hiddenAct, hiddenDropoutProb, attentionProbsDropoutProb, maxPositionEmbeddings, typeVocabSize,
                initializerRange, layerNormEps);
    }

    public int seqLen() {
        return seqLen;
    }

    public int maxPredictions() {
        return maxPredictions;
    }

    public long seed() {
        return seed;
    }

    /** Whether the token embedding table (and so the tied MLM decoder weight) is excluded from training. */
    public boolean freezeTokenEmbeddings() {
        return freezeTokenEmbeddings;
    }

    public void setFreezeTokenEmbeddings(boolean freeze) {
        this.freezeTokenEmbeddings = freeze;
    }

    /** The DL4J key of the token embedding table. */
    public static final String TOKEN_TABLE = "embeddings/token";
    /** The DL4J key of the MLM decoder's output bias. */
    public static final String OUTPUT_BIAS = paramKey("mlm/output_bias");

    /**
     * A frozen token table gets SGD with learning rate 0 (no update); everything else the layer's updater.
     * Not DL4J's {@code NoOp}: that one passes the raw gradient through, i.e. it is SGD with rate 1.
     */
    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        if (freezeTokenEmbeddings && TOKEN_TABLE.equals(paramName)) {
            return new Sgd(0.0);
        }
        return super.getUpdaterByParam(paramName);
    }

    /** Width of the packed input, 3S + P. */
    public int inputWidth() {
        return 3 * seqLen + maxPredictions;
    }

    /** Width of the packed labels, 2P + 1. */
    public int labelsWidth() {
        return 2 * maxPredictions + 1;
    }

    /** Width of the packed output, P·V + 2. */
    public long outputWidth() {
        return (long) maxPredictions * vocabSize + 2;
    }

    /**
     * The DL4J key of a {@link BertPretraining} variable: its name with '_' replaced by '-'. DL4J's updater
     * splits gradient keys "vertex_param" at the LAST '_', so parameter keys must not contain one
     * (e.g. "layer_0/ffn/w1" becomes "layer-0/ffn/w1", "mlm/output_bias" becomes "mlm/output-bias").
     */
    public static String paramKey(String sameDiffName) {
        return sameDiffName.replace('_', '-');
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        for (SDVariable v : templateParams(DataType.FLOAT, false)) {
            long[] shape = v.getShape();
            if (shape.length == 1 && !v.name().endsWith("gain")) {
                params.addBiasParam(paramKey(v.name()), shape);
            } else {
                params.addWeightParam(paramKey(v.name()), shape);
            }
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        if (params.isEmpty()) {
            return;
        }
        DataType dataType = params.values().iterator().next().dataType();
        for (SDVariable v : templateParams(dataType, true)) {
            INDArray target = params.get(paramKey(v.name()));
            if (target == null) {
                throw new IllegalStateException("no DL4J parameter for " + v.name());
            }
            target.assign(v.getArr());
        }
    }

    /**
     * The trainable variables of {@link BertPretraining#createParams} on a scratch graph, in creation order; with
     * {@code values} false only their names and shapes are meant (zeros, no random draws).
     */
    private List<SDVariable> templateParams(DataType dataType, boolean values) {
        SameDiff scratch = SameDiff.create();
        if (values) {
            BertPretraining.createParams(scratch, bertConfig(), dataType, seed);
        } else {
            BertPretraining.declareParams(scratch, bertConfig(), dataType);
        }
        List<SDVariable> out = new ArrayList<>();
        for (SDVariable v : scratch.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                out.add(v);
            }
        }
        return out;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, SDVariable labels, Map<String, SDVariable> params) {
        BertConfig cfg = bertConfig();
        int s = seqLen;
        int p = maxPredictions;
        DataType dt = input.dataType();
        SDVariable ids = input.get(SDIndex.all(), SDIndex.interval(0, s));
        SDVariable types = input.get(SDIndex.all(), SDIndex.interval(s, 2 * s));
        SDVariable mask = input.get(SDIndex.all(), SDIndex.interval(2 * s, 3 * s));
        SDVariable positions = input.get(SDIndex.all(), SDIndex.interval(3 * s, 3 * s + p));
        SDVariable lmIds = labels.get(SDIndex.all(), SDIndex.interval(0, p));
        SDVariable lmWeights = labels.get(SDIndex.all(), SDIndex.interval(p, 2 * p));
        SDVariable nsp = labels.get(SDIndex.all(), SDIndex.point(2 * p));                      // [B]
        BertPretraining.Inputs in = new BertPretraining.Inputs(ids, types, mask, positions, lmIds, lmWeights, nsp);

        SameDiff scratch = SameDiff.create();
        BertPretraining.Params template = BertPretraining.declareParams(scratch, cfg, dt);
        BertPretraining.Params bound = (BertPretraining.Params) rebind(template, params);

        boolean dropout = cfg.hiddenDropoutProb() > 0 || cfg.attentionProbsDropoutProb() > 0;
        BertPretraining.Graph g = BertPretraining.build(sd, in, bound, cfg, s, p, dropout);

        SDVariable batch = nsp.mul(0.0).add(1.0).sum();                                        // B, as a scalar
        SDVariable summed = sd.identity(SUMMED_LOSS, g.loss().mul(batch));
        sd.setLossVariables(summed);
        SDVariable mlmFlat = g.mlmLogits().reshape(-1, (long) p * vocabSize);                  // [B, P·V]
        sd.concat(ACTIVATIONS, 1, mlmFlat, g.nspLogits());                                     // [B, P·V+2]
        return summed;
    }

    /** Rebuilds a (nested) params record with every SDVariable replaced by the one of the same name. */
    static Object rebind(Object o, Map<String, SDVariable> vars) {
        if (o instanceof SDVariable v) {
            SDVariable bound = vars.get(paramKey(v.name()));
            if (bound == null) {
                throw new IllegalStateException("parameter " + v.name() + " is not defined in the DL4J layer");
            }
            return bound;
        }
        if (o instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object x : list) {
                out.add(rebind(x, vars));
            }
            return out;
        }
        if (o instanceof Record r) {
            RecordComponent[] cs = r.getClass().getRecordComponents();
            Object[] args = new Object[cs.length];
            Class<?>[] types = new Class<?>[cs.length];
            try {
                for (int i = 0; i < cs.length; i++) {
                    types[i] = cs[i].getType();
                    args[i] = rebind(cs[i].getAccessor().invoke(r), vars);
                }
                Constructor<?> ctor = r.getClass().getDeclaredConstructor(types);
                return ctor.newInstance(args);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot rebuild " + r.getClass().getName(), e);
            }
        }
        throw new IllegalArgumentException("unexpected parameter holder " + o.getClass().getName());
    }

    /**
     * Our runtime layer ({@link BertPretrainingLayerImpl}): DL4J's SameDiff output layer, but one graph
     * execution per training step instead of two. Same steps as DL4J's own {@code instantiate}.
     */
    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        BertPretrainingLayerImpl layer = new BertPretrainingLayerImpl(conf, networkDataType);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(paramTable);
        layer.setConf(conf);
        return layer;
    }

    /**
     * Decoupled weight decay (docs/design.md §5) applies to weight matrices only: as in Google's BERT
     * ({@code exclude_from_weight_decay=["LayerNorm", "layer_norm", "bias"]}), LayerNorm gains and all
     * biases get none. DL4J would treat the gains as weights (they are not bias parameters).
     */
    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        if (paramName.endsWith("gain") || !getLayerParams().isWeightParam(paramName)
                || (freezeTokenEmbeddings && TOKEN_TABLE.equals(paramName))) {
            return List.of();
        }
        return super.getRegularizationByParam(paramName);
    }

    @Override
    public String activationsVertexName() {
        return ACTIVATIONS;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(outputWidth());
    }

    @Override
    public BertPretrainingLayer clone() {
        // all own fields are immutable values; the updater, regularisation and name are copied by Layer.clone
        return (BertPretrainingLayer) super.clone();
    }
}
