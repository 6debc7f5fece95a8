package io.sparkbert.model;

import io.sparkbert.model.checkpoint.Checkpoint;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Inference with everything a consumer may want: MLM logits at the given positions, NSP logits, the
 * pooled [CLS] vector and the per-token sequence output. It runs our SameDiff definition of BERT
 * (dropout off) with the checkpoint's parameters copied in by name, since the DL4J layer only outputs what
 * training needs.
 *
 * <pre>
 * inputs  input_ids, token_type_ids, attention_mask [B, S]; masked_lm_positions [B, P]  (S, P: the model's)
 * outputs mlm_logits [B, P, V], nsp_logits [B, 2], pooled_output [B, H], sequence_output [B, S, H]
 * </pre>
 */
public final class BertInference {
    /** The outputs for a batch. */
    public record Outputs(INDArray mlmLogits, INDArray nspLogits, INDArray pooledOutput, INDArray sequenceOutput) {
    }

    private final BertPretraining.Graph graph;
    private final int seqLen;
    private final int maxPredictions;
    private final int vocabSize;

    public BertInference(Checkpoint.Loaded checkpoint) {
        this(checkpoint.graph());
    }

    /** Inference with the current parameters of a network built by {@link BertModel}. */
    public BertInference(ComputationGraph trained) {
        BertPretrainingLayer layer = BertModel.layer(trained);
        this.seqLen = layer.seqLen();
        this.maxPredictions = layer.maxPredictions();
        this.vocabSize = layer.bertConfig().vocabSize();
        this.graph = BertPretraining.create(layer.bertConfig().withoutDropout(), seqLen, maxPredictions, false,
                layer.seed(), DataType.FLOAT);
        load(trained);
    }

    /**
     * Copies the current parameters of {@code trained} (a network of the same configuration) into this
     * graph: evaluation during training refreshes one inference graph instead of building a new one.
     */
    public void load(ComputationGraph trained) {
        Map<String, INDArray> table = trained.getLayer(BertModel.LAYER).paramTable();
        for (SDVariable variable : graph.sd().variables()) {
            if (variable.isPlaceHolder() || variable.getVariableType() != org.nd4j.autodiff.samediff.VariableType.VARIABLE) {
                continue;
            }
            INDArray value = table.get(BertPretrainingLayer.paramKey(variable.name()));
            if (value == null) {
                throw new IllegalStateException("the network has no parameter for " + variable.name());
            }
            INDArray target = variable.getArr();
            target.assign(value.castTo(DataType.FLOAT).reshape(target.shape()));
        }
    }

    public int seqLen() {
        return seqLen;
    }

    public int maxPredictions() {
        return maxPredictions;
    }

    /** Runs a batch; arrays are [B, S] and [B, P], padded to the model's lengths. */
    public Outputs run(INDArray inputIds, INDArray tokenTypeIds, INDArray attentionMask, INDArray maskedLmPositions) {
        long batch = inputIds.size(0);
        Map<String, INDArray> inputs = new HashMap<>();
        inputs.put("input_ids", inputIds.castTo(DataType.FLOAT));
        inputs.put("token_type_ids", tokenTypeIds.castTo(DataType.FLOAT));
        inputs.put("attention_mask", attentionMask.castTo(DataType.FLOAT));
        inputs.put("masked_lm_positions", maskedLmPositions.castTo(DataType.FLOAT));
        inputs.put("masked_lm_ids", Nd4j.zeros(DataType.FLOAT, batch, maxPredictions));
        inputs.put("masked_lm_weights", Nd4j.zeros(DataType.FLOAT, batch, maxPredictions));
        inputs.put("next_sentence_label", Nd4j.zeros(DataType.FLOAT, batch));
        Map<String, INDArray> out = graph.sd().output(inputs, "mlm_logits", "nsp_logits", "sequence_output");
        INDArray sequence = out.get("sequence_output");
        // the pooler, as NspHead computes it: tanh([CLS] · Wp + bp)
        INDArray cls = sequence.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all());
        INDArray pooled = Transforms.tanh(cls.mmul(graph.params().nsp().poolerW().getArr())
                .addRowVector(graph.params().nsp().poolerB().getArr()), true);
        return new Outputs(out.get("mlm_logits").reshape(batch, maxPredictions, vocabSize), out.get("nsp_logits"),
                pooled, sequence);
    }
}
