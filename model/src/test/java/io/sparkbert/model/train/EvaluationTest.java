package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Held-out evaluation runs our SameDiff BERT ({@link BertInference}) with the trained network's parameters:
 * its figures must equal those computed from DL4J's own forward pass of a dropout-free copy of the network,
 * and one inference graph refreshed with {@link BertInference#load} must equal a freshly built one.
 */
class EvaluationTest {

    private static ComputationGraph trainedNetwork(List<SampleBatch> batches, int steps) {
        ComputationGraph graph = BertModel.build(TinyBatches.config(0.1), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 3,
                DataType.FLOAT, Optimizer.adamW(1e-2, 1, 20, 0.9, 0.999, 1e-6, 0.01, 1.0));
        for (int i = 0; i < steps; i++) {
            graph.fit(batches.get(i % batches.size()).toMultiDataSet(DataType.FLOAT));
        }
        return graph;
    }

    /** The same weighted figures, from DL4J's output of {@link BertModel#forInference}. */
    private static double[] fromDl4jOutput(ComputationGraph graph, List<SampleBatch> batches) {
        ComputationGraph inference = BertModel.forInference(graph);
        double nll = 0;
        double correct = 0;
        double weights = 0;
        for (SampleBatch batch : batches) {
            BertModel.Outputs out = BertModel.output(inference, batch.toMultiDataSet(DataType.FLOAT).getFeatures());
            for (int b = 0; b < batch.size(); b++) {
                for (int p = 0; p < TinyBatches.PREDICTIONS; p++) {
                    double w = batch.maskedLmWeights()[b][p];
                    double[] row = out.mlmLogits().get(NDArrayIndex.point(b), NDArrayIndex.point(p), NDArrayIndex.all())
                            .castTo(DataType.DOUBLE).toDoubleVector();
                    double max = java.util.Arrays.stream(row).max().orElseThrow();
                    double logSum = max + Math.log(java.util.Arrays.stream(row).map(v -> Math.exp(v - max)).sum());
                    int label = batch.maskedLmIds()[b][p];
                    int best = 0;
                    for (int v = 1; v < row.length; v++) {
                        best = row[v] > row[best] ? v : best;
                    }
                    nll += w * (logSum - row[label]);
                    correct += best == label ? w : 0;
                    weights += w;
                }
            }
        }
        return new double[] {nll / weights, correct / weights};
    }

    @Test
    void evaluationEqualsDl4jForwardPassAndARefreshedGraphEqualsAFreshOne() {
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(24, 11), 4);
        ComputationGraph graph = trainedNetwork(batches, 3);
        BertInference reused = new BertInference(graph);
        Evaluation before = Evaluation.run(reused, batches);
        for (int i = 0; i < 3; i++) {
            graph.fit(batches.get(i).toMultiDataSet(DataType.FLOAT));
        }
        reused.load(graph);
        Evaluation refreshed = Evaluation.run(reused, batches);
        Evaluation fresh = Evaluation.run(new BertInference(graph), batches);
        assertEquals(fresh, refreshed);
        assertTrue(Math.abs(before.mlmLoss() - refreshed.mlmLoss()) > 1e-6, "training changed the figures");

        double[] reference = fromDl4jOutput(graph, batches);
        assertEquals(reference[0], refreshed.mlmLoss(), 1e-5 * reference[0]);
        assertEquals(reference[1], refreshed.mlmAccuracy(), 1e-12);
        assertEquals(24, refreshed.samples());
    }

    /**
     * Held-out batches scored on three threads, each with its graph, and added in batch order give the figures of
     * one thread to the last bit (7 batches: threads with 3 and 2 of them), before and after training moves the
     * parameters; a failing batch fails the evaluation with its own message.
     */
    @Test
    void heldOutOnThreadsEqualsOneThreadExactly() {
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(28, 12), 4);
        assertEquals(7, batches.size());
        ComputationGraph graph = trainedNetwork(batches, 2);
        try (HeldOut threads = new HeldOut(batches, 0.1, 3); HeldOut one = new HeldOut(batches, 0.1, 1)) {
            for (int round = 0; round < 2; round++) {
                Evaluation sequential = DriverThreads.withOpThreads(1, () -> one.evaluate(graph));
                assertEquals(sequential, threads.evaluate(graph));
                assertEquals(DriverThreads.withOpThreads(1, () -> Evaluation.run(new BertInference(graph), batches)),
                        sequential);
                graph.fit(batches.get(round).toMultiDataSet(DataType.FLOAT));
            }
        }
        List<SampleBatch> broken = new java.util.ArrayList<>(batches);
        SampleBatch b = batches.get(5);
        int[][] ids = b.inputIds().clone();
        ids[0] = ids[0].clone();
        ids[0][1] = 10_000;       // outside the vocabulary
        broken.set(5, new SampleBatch(ids, b.tokenTypeIds(), b.attentionMask(), b.maskedLmPositions(),
                b.maskedLmIds(), b.maskedLmWeights(), b.nextSentenceLabel()));
        try (HeldOut threads = new HeldOut(broken, 0.1, 2)) {
            BertInference.InvalidRequestException e = org.junit.jupiter.api.Assertions.assertThrows(
                    BertInference.InvalidRequestException.class, () -> threads.evaluate(graph));
            assertTrue(e.getMessage().contains("input_ids"), e.getMessage());
        }
    }

    /** Worked by hand: log(1 + 3) = log 4; two logits of 1000 (exp overflows in float): 1000 + log 2, argmax the first. */
    @Test
    void rowStatisticsByHand() {
        INDArray logits = Nd4j.createFromArray(new float[][] {{0f, (float) Math.log(3), -50f}, {1000f, 1000f, -1000f}});
        Evaluation.RowStatistics rows = Evaluation.RowStatistics.of(logits);
        assertEquals(Math.log(4), rows.logSumExp(0), 1e-6);
        assertEquals(1000 + Math.log(2), rows.logSumExp(1), 1e-4);
        assertEquals(1, rows.argmax(0));
        assertEquals(0, rows.argmax(1));
    }
}
