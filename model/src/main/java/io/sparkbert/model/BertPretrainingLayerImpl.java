package io.sparkbert.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.common.primitives.Pair;

/**
 * The runtime layer of {@link BertPretrainingLayer}: DL4J's {@link SameDiffOutputLayer} with one change to a
 * training step. DL4J's version runs the graph TWICE per step: {@code backpropGradient} (forward + backward
 * through {@code calculateGradients}) and then {@code computeScore} (a second, full forward pass for the loss
 * value). That costs a third more compute, and with dropout the reported score even comes from a different
 * mask than the gradient. Here one execution ({@code calculateGradientsAndOutputs}) returns the gradients
 * and the losses together; {@code computeScore} right after it returns the loss of that same execution.
 * The MLM and NSP parts of the last step's loss are kept for the training metrics ({@link #lastLosses}).
 *
 * <p>Outside a training step (no backprop since the input was set), {@code computeScore} runs the forward
 * pass as before.
 */
public class BertPretrainingLayerImpl extends SameDiffOutputLayer {

    /** The losses of the last training step: total (BERT's loss, a mean), MLM and NSP parts. */
    public record StepLosses(double loss, double mlmLoss, double nspLoss) {
    }

    private INDArray scoredInput;
    private double scoredSummedLoss;
    private StepLosses lastLosses;

    public BertPretrainingLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** The losses of the most recent {@code backpropGradient}, or null before the first. */
    public StepLosses lastLosses() {
        return lastLosses;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (labels == null) {
            throw new IllegalStateException("cannot train the BERT layer without labels");
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (sameDiff == null) {
                doInit();
            }
            if (sameDiff.getFunction("grad") == null) {
                sameDiff.createGradFunction();     // parameters only: the input (token ids, masks) has no gradient
            }
        }
        // Memory: SameDiff's own ArrayCacheMemoryMgr (a new session's default, and BertPretraining.gradients
        // turns its reuse on), not DL4J's DL4JSameDiffMemoryMgr: with workspaces off (docs/dl4j-workarounds.md, 2) DL4J's
        // manager allocates every intermediate array afresh, which cost a third of a bert-mini step
        // (JFR: Nd4jCpu.allocateDataBuffer).
        List<String> gradVars = new ArrayList<>(paramTable.keySet());
        Map<String, INDArray> placeholders = new HashMap<>();
        placeholders.put(INPUT_KEY, input);
        placeholders.put(LABELS_KEY, labels);
        BertPretraining.Gradients result = BertPretraining.gradients(sameDiff, placeholders,
                List.of(BertPretrainingLayer.SUMMED_LOSS, BertPretrainingLayer.MLM_LOSS, BertPretrainingLayer.NSP_LOSS),
                gradVars, BertPretrainingLayer.TOKEN_TABLE, BertPretrainingLayer.OUTPUT_BIAS);

        Gradient gradient = new DefaultGradient();
        for (String name : paramTable.keySet()) {
            INDArray dl4jGrad = gradTable.get(name);
            dl4jGrad.assign(result.gradients().get(name));
            gradient.gradientForVariable().put(name, dl4jGrad);
        }
        // The input packs integer columns (ids, token types, attention mask, positions): nothing upstream is
        // trainable, and the loss is piecewise constant in them, so the epsilon DL4J passes back is zero. Not
        // asking SameDiff for it spares the backward ops of the mask arithmetic and the column slices.
        INDArray dLdIn = Nd4j.zeros(input.dataType(), input.shape());
        Map<String, INDArray> outputs = result.outputs();
        scoredInput = input;
        scoredSummedLoss = outputs.get(BertPretrainingLayer.SUMMED_LOSS).getDouble(0);
        lastLosses = new StepLosses(scoredSummedLoss / input.size(0),
                outputs.get(BertPretrainingLayer.MLM_LOSS).getDouble(0),
                outputs.get(BertPretrainingLayer.NSP_LOSS).getDouble(0));

        sameDiff.clearPlaceholders(true);
        sameDiff.clearOpInputs();
        if (dLdIn.isAttached()) {
            dLdIn = dLdIn.detach();
        }
        return new Pair<>(gradient, dLdIn);
    }

    /**
     * The activations (packed MLM and NSP logits), as DL4J's own {@code activate}, but with a labels array: DL4J
     * feeds only the input for activations, while the graph's one gather ({@link TokenLookup}) also reads the MLM
     * targets' rows, whose ids are in the labels. Without labels, zeros stand in; the activations do not depend on
     * them.
     */
    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        INDArray out;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (sameDiff == null) {
                doInit();
            }
            BertPretrainingLayer conf = (BertPretrainingLayer) layerConf();
            Map<String, INDArray> placeholders = new HashMap<>();
            placeholders.put(INPUT_KEY, input);
            placeholders.put(LABELS_KEY, labels != null ? labels
                    : Nd4j.zeros(input.dataType(), input.size(0), conf.labelsWidth()));
            out = sameDiff.outputSingle(placeholders, conf.activationsVertexName());
            sameDiff.clearPlaceholders(true);
            sameDiff.clearOpInputs();
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (training && scoredInput != null && scoredInput == input) {
            scoredInput = null;     // one use: the score of the step whose gradient was just computed
            return (scoredSummedLoss + fullNetRegTerm) / input.size(0);
        }
        return super.computeScore(fullNetRegTerm, training, workspaceMgr);
    }

    @Override
    public void clear() {
        super.clear();
        scoredInput = null;
    }
}
