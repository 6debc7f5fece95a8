package io.sparkbert.model;

import io.sparkbert.model.checkpoint.Checkpoint;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * One request, unpadded: {@code inputIds}, {@code tokenTypeIds} and {@code attentionMask} of one length (at most
     * the model's), {@code maskedLmPositions} at most the model's number of predictions.
     */
    public record Request(int[] inputIds, int[] tokenTypeIds, int[] attentionMask, int[] maskedLmPositions) {
    }

    /**
     * One request's outputs as plain arrays.
     *
     * @param mlmLogits      [masked positions of the request][V]
     * @param nspLogits      [2]
     * @param pooledOutput   [H]
     * @param sequenceOutput [real tokens][H], or null when not asked for
     */
    public record Result(float[][] mlmLogits, float[] nspLogits, float[] pooledOutput, float[][] sequenceOutput) {
    }

    /** A request the model cannot run: the message names the field and the value. */
    public static final class InvalidRequestException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public InvalidRequestException(String message) {
            super(message);
        }
    }

    private final BertPretraining.Graph graph;
    private final int seqLen;
    private final int maxPredictions;
    private final int vocabSize;
    private final int typeVocabSize;

    public BertInference(Checkpoint.Loaded checkpoint) {
        this(checkpoint.graph());
    }

    /** Inference with the current parameters of a network built by {@link BertModel}. */
    public BertInference(ComputationGraph trained) {
        BertPretrainingLayer layer = BertModel.layer(trained);
        this.seqLen = layer.seqLen();
        this.maxPredictions = layer.maxPredictions();
        this.vocabSize = layer.bertConfig().vocabSize();
        this.typeVocabSize = layer.bertConfig().typeVocabSize();
        this.graph = BertPretraining.declare(layer.bertConfig().withoutDropout(), seqLen, maxPredictions, false,
                DataType.FLOAT);
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

    public int vocabSize() {
        return vocabSize;
    }

    public int typeVocabSize() {
        return typeVocabSize;
    }

    /**
     * Checks that the model can run {@code request}: nothing out of range ever reaches the native lookups (an id
     * outside the vocabulary crashes ND4J's gather or silently reads another row).
     *
     * @throws InvalidRequestException naming the field, the position in it and the allowed range
     */
    public void validate(Request request) {
        int n = request.inputIds().length;
        if (n == 0) {
            throw new InvalidRequestException("input_ids is empty");
        }
        if (n > seqLen) {
            throw new InvalidRequestException("input_ids has " + n + " tokens; the model takes at most " + seqLen);
        }
        if (request.tokenTypeIds().length != n || request.attentionMask().length != n) {
            throw new InvalidRequestException("input_ids (" + n + "), token_type_ids (" + request.tokenTypeIds().length
                    + ") and attention_mask (" + request.attentionMask().length + ") differ in length");
        }
        if (request.maskedLmPositions().length > maxPredictions) {
            throw new InvalidRequestException("masked_lm_positions has " + request.maskedLmPositions().length
                    + " entries; the model predicts at most " + maxPredictions);
        }
        requireRange("input_ids", request.inputIds(), 0, vocabSize);
        requireRange("token_type_ids", request.tokenTypeIds(), 0, typeVocabSize);
        requireRange("attention_mask", request.attentionMask(), 0, 2);
        int real = 0;
        for (int a : request.attentionMask()) {
            real += a;
        }
        if (request.attentionMask()[0] != 1) {
            throw new InvalidRequestException("attention_mask[0] is 0: the first token must be a real token");
        }
        requireRange("masked_lm_positions", request.maskedLmPositions(), 0, n);
        for (int i = 0; i < request.maskedLmPositions().length; i++) {
            int position = request.maskedLmPositions()[i];
            if (request.attentionMask()[position] != 1) {
                throw new InvalidRequestException("masked_lm_positions[" + i + "] = " + position
                        + " is a padding position (the request has " + real + " real tokens)");
            }
        }
    }

    private static void requireRange(String field, int[] values, int from, int to) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] < from || values[i] >= to) {
                throw new InvalidRequestException(field + "[" + i + "] = " + values[i] + " is outside [" + from + ", "
                        + to + ")");
            }
        }
    }

    /**
     * Runs {@code requests} (validated first, all of them) in batches of {@code batchSize} and returns each one's
     * outputs; {@code sequenceOutput}: also the last layer's vector of every real token.
     */
    public List<Result> infer(List<Request> requests, int batchSize, boolean sequenceOutput) {
        for (Request request : requests) {
            validate(request);
        }
        List<Result> results = new ArrayList<>(requests.size());
        for (int start = 0; start < requests.size(); start += batchSize) {
            List<Request> batch = requests.subList(start, Math.min(requests.size(), start + batchSize));
            Outputs out = run(batch);
            for (int b = 0; b < batch.size(); b++) {
                Request r = batch.get(b);
                float[][] mlm = new float[r.maskedLmPositions().length][];
                for (int m = 0; m < mlm.length; m++) {
                    mlm[m] = out.mlmLogits().get(NDArrayIndex.point(b), NDArrayIndex.point(m), NDArrayIndex.all())
                            .toFloatVector();
                }
                float[][] sequence = null;
                if (sequenceOutput) {
                    List<float[]> vectors = new ArrayList<>();
                    for (int i = 0; i < r.inputIds().length; i++) {
                        if (r.attentionMask()[i] == 1) {
                            vectors.add(out.sequenceOutput().get(NDArrayIndex.point(b), NDArrayIndex.point(i),
                                    NDArrayIndex.all()).toFloatVector());
                        }
                    }
                    sequence = vectors.toArray(float[][]::new);
                }
                results.add(new Result(mlm, out.nspLogits().getRow(b).toFloatVector(),
                        out.pooledOutput().getRow(b).toFloatVector(), sequence));
            }
        }
        return results;
    }

    /** Validates and runs requests (at most any batch size), padded here to the model's lengths. */
    public Outputs run(List<Request> requests) {
        for (Request request : requests) {
            validate(request);
        }
        int s = seqLen;
        int p = maxPredictions;
        float[][] ids = new float[requests.size()][s];
        float[][] types = new float[requests.size()][s];
        float[][] attention = new float[requests.size()][s];
        float[][] positions = new float[requests.size()][p];
        for (int b = 0; b < requests.size(); b++) {
            Request r = requests.get(b);
            for (int i = 0; i < r.inputIds().length; i++) {
                ids[b][i] = r.inputIds()[i];
                types[b][i] = r.tokenTypeIds()[i];
                attention[b][i] = r.attentionMask()[i];
            }
            for (int i = 0; i < r.maskedLmPositions().length; i++) {
                positions[b][i] = r.maskedLmPositions()[i];
            }
        }
        return execute(Nd4j.createFromArray(ids), Nd4j.createFromArray(types), Nd4j.createFromArray(attention),
                Nd4j.createFromArray(positions));
    }

    /**
     * Runs a batch; arrays are [B, S] and [B, P], padded to the model's lengths. Every value is checked against the
     * model's ranges first.
     *
     * @throws InvalidRequestException for a shape or a value the model cannot take
     */
    public Outputs run(INDArray inputIds, INDArray tokenTypeIds, INDArray attentionMask, INDArray maskedLmPositions) {
        long batch = inputIds.rank() == 2 ? inputIds.size(0) : -1;
        requireArray("input_ids", inputIds, batch, seqLen, vocabSize);
        requireArray("token_type_ids", tokenTypeIds, batch, seqLen, typeVocabSize);
        requireArray("attention_mask", attentionMask, batch, seqLen, 2);
        requireArray("masked_lm_positions", maskedLmPositions, batch, maxPredictions, seqLen);
        return execute(inputIds, tokenTypeIds, attentionMask, maskedLmPositions);
    }

    private static void requireArray(String field, INDArray values, long batch, int width, int limit) {
        if (values.rank() != 2 || values.size(0) != batch || values.size(1) != width) {
            throw new InvalidRequestException(field + " has shape " + java.util.Arrays.toString(values.shape())
                    + "; the model takes [" + (batch < 0 ? "B" : batch) + ", " + width + "]");
        }
        for (double v : values.castTo(DataType.DOUBLE).dup('c').data().asDouble()) {
            if (!(v >= 0 && v < limit) || v != Math.rint(v)) {
                throw new InvalidRequestException(field + " holds " + v + ", outside the integers of [0, " + limit
                        + ")");
            }
        }
    }

    private Outputs execute(INDArray inputIds, INDArray tokenTypeIds, INDArray attentionMask,
                            INDArray maskedLmPositions) {
        long batch = inputIds.size(0);
        Map<String, INDArray> inputs = new HashMap<>();
        inputs.put("input_ids", inputIds.castTo(DataType.FLOAT));
        inputs.put("token_type_ids", tokenTypeIds.castTo(DataType.FLOAT));
        inputs.put("attention_mask", attentionMask.castTo(DataType.FLOAT));
        inputs.put("masked_lm_positions", maskedLmPositions.castTo(DataType.FLOAT));
        inputs.put("masked_lm_ids", Nd4j.zeros(DataType.FLOAT, batch, maxPredictions));
        inputs.put("masked_lm_weights", Nd4j.zeros(DataType.FLOAT, batch, maxPredictions));
        inputs.put("next_sentence_label", Nd4j.zeros(DataType.FLOAT, batch));
        // as in training: without it each execution allocated its arrays afresh, and first touches of fresh
        // memory were 40% of an evaluation's time (jstack samples in Nd4jCpu.allocateDataBuffer)
        BertPretraining.reuseArrays(graph.sd());
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
