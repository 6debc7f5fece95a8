package io.sparkbert.model;

import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fill-mask: the model's most probable wordpieces for each literal {@code [MASK]} in a text. The text
 * around the masks is tokenized as usual; the sample is framed as {@code [CLS] text [SEP]}, padded, and
 * run through the dropout-free network.
 */
public final class MaskFiller {
    /** One candidate for one mask. */
    public record Candidate(String token, double probability) {
    }

    private final ComputationGraph graph;
    private final Vocab vocab;
    private final BertTokenizer tokenizer;
    private final int seqLen;
    private final int maxPredictions;

    public MaskFiller(Checkpoint.Loaded checkpoint) {
        this.graph = BertModel.forInference(checkpoint.graph());
        this.vocab = checkpoint.vocab();
        this.tokenizer = new BertTokenizer(vocab, checkpoint.uncased());
        this.seqLen = checkpoint.seqLen();
        this.maxPredictions = checkpoint.maxPredictions();
    }

    /** The ids of {@code [CLS] text [SEP]}, with {@code [MASK]} for every literal "[MASK]" in the text. */
    public int[] encode(String text) {
        int[] ids = tokenizer.encodeQuery(text, null).ids();
        if (ids.length > seqLen) {
            throw new IllegalArgumentException("the text has " + ids.length + " wordpieces with [CLS]/[SEP]; the model "
                    + "takes at most " + seqLen);
        }
        return ids;
    }

    /** For each mask, left to right, the top {@code k} wordpieces with their probabilities. */
    public List<List<Candidate>> fill(String text, int k) {
        int[] ids = encode(text);
        List<Integer> masks = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == vocab.maskId()) {
                masks.add(i);
            }
        }
        if (masks.isEmpty()) {
            throw new IllegalArgumentException("the text has no [MASK]");
        }
        if (masks.size() > maxPredictions) {
            throw new IllegalArgumentException("the text has " + masks.size() + " masks; the model predicts at most "
                    + maxPredictions);
        }
        float[] inputIds = new float[seqLen];
        float[] attention = new float[seqLen];
        for (int i = 0; i < ids.length; i++) {
            inputIds[i] = ids[i];
            attention[i] = 1;
        }
        Arrays.fill(inputIds, ids.length, seqLen, vocab.padId());
        float[] positions = new float[maxPredictions];
        for (int m = 0; m < masks.size(); m++) {
            positions[m] = masks.get(m);
        }
        DataType type = graph.params().dataType();
        INDArray[] features = BertModel.features(Nd4j.createFromArray(new float[][] {inputIds}),
                Nd4j.zeros(DataType.FLOAT, 1, seqLen), Nd4j.createFromArray(new float[][] {attention}),
                Nd4j.createFromArray(new float[][] {positions}), type);
        INDArray logits = BertModel.output(graph, features).mlmLogits(); // [1, P, V]
        List<List<Candidate>> result = new ArrayList<>();
        for (int m = 0; m < masks.size(); m++) {
            double[] row = logits.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(m), org.nd4j.linalg.indexing.NDArrayIndex.all())
                    .castTo(DataType.DOUBLE).toDoubleVector();
            result.add(topK(softmax(row), k));
        }
        return result;
    }

    private static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private List<Candidate> topK(double[] probabilities, int k) {
        Integer[] order = new Integer[probabilities.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(probabilities[b], probabilities[a]));
        List<Candidate> top = new ArrayList<>();
        for (int i = 0; i < Math.min(k, order.length); i++) {
            top.add(new Candidate(vocab.token(order[i]), probabilities[order[i]]));
        }
        return top;
    }
}
