package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.BertInference.Request;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The inference API (next to the tiny training fixtures it borrows): requests of different lengths run in batches give each request its own outputs. */
class BertInferenceTest {

    @Test
    void batchedRequestsGetTheOutputsEachGetsAlone() {
        ComputationGraph graph = BertModel.build(TinyBatches.config(0.0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 3,
                DataType.FLOAT, Optimizer.adamW(1e-2, 1, 20, 0.9, 0.999, 1e-6, 0.01, 1.0));
        BertInference model = new BertInference(graph);
        Random random = new Random(17);
        List<Request> requests = new ArrayList<>();
        for (int r = 0; r < 5; r++) {
            int length = 3 + random.nextInt(TinyBatches.SEQ - 3);
            int[] ids = new int[length];
            int[] types = new int[length];
            int[] mask = new int[length];
            for (int i = 0; i < length; i++) {
                ids[i] = 5 + random.nextInt(20);
                types[i] = i > length / 2 ? 1 : 0;
                mask[i] = 1;
            }
            int[] positions = r % 2 == 0 ? new int[] {1} : new int[] {1, length - 1};
            requests.add(new Request(ids, types, mask, positions));
        }

        List<BertInference.Result> batched = model.infer(requests, 2, true);
        assertEquals(requests.size(), batched.size());
        for (int r = 0; r < requests.size(); r++) {
            BertInference.Result alone = model.infer(List.of(requests.get(r)), 1, true).get(0);
            BertInference.Result inBatch = batched.get(r);
            assertEquals(requests.get(r).maskedLmPositions().length, inBatch.mlmLogits().length);
            assertEquals(requests.get(r).inputIds().length, inBatch.sequenceOutput().length);
            for (int m = 0; m < inBatch.mlmLogits().length; m++) {
                assertArrayEquals(alone.mlmLogits()[m], inBatch.mlmLogits()[m], 1e-4f);
            }
            assertArrayEquals(alone.nspLogits(), inBatch.nspLogits(), 1e-4f);
            assertArrayEquals(alone.pooledOutput(), inBatch.pooledOutput(), 1e-4f);
            for (int i = 0; i < inBatch.sequenceOutput().length; i++) {
                assertArrayEquals(alone.sequenceOutput()[i], inBatch.sequenceOutput()[i], 1e-4f);
            }
        }
        assertNull(model.infer(requests.subList(0, 1), 4, false).get(0).sequenceOutput());
    }

    /**
     * Inference reuses its session's arrays from one execution to the next (by length, whatever the shape): the
     * outputs of a batch are the same bits before and after executions of other batch sizes.
     */
    @Test
    void executionsReuseArraysAndChangeNoBit() {
        ComputationGraph graph = BertModel.build(TinyBatches.config(0.0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 5,
                DataType.FLOAT, Optimizer.adamW(1e-2, 1, 20, 0.9, 0.999, 1e-6, 0.01, 1.0));
        BertInference model = new BertInference(graph);
        float[][] first = null;
        for (int round = 0; round < 3; round++) {
            for (int batch : new int[] {3, 1, 2}) {
                Random random = new Random(batch);
                int[][] ids = new int[batch][TinyBatches.SEQ];
                int[][] positions = new int[batch][TinyBatches.PREDICTIONS];
                for (int b = 0; b < batch; b++) {
                    for (int i = 0; i < TinyBatches.SEQ; i++) {
                        ids[b][i] = 5 + random.nextInt(20);
                    }
                    positions[b] = new int[] {1, 1 + random.nextInt(TinyBatches.SEQ - 1)};
                }
                BertInference.Outputs out = model.run(Nd4j.createFromArray(ids), Nd4j.zeros(DataType.INT, batch,
                        TinyBatches.SEQ), Nd4j.ones(DataType.INT, batch, TinyBatches.SEQ), Nd4j.createFromArray(positions));
                if (batch != 3) {
                    continue;
                }
                float[][] values = {out.mlmLogits().dup('c').data().asFloat(), out.nspLogits().dup('c').data().asFloat(),
                        out.sequenceOutput().dup('c').data().asFloat()};
                if (first == null) {
                    first = values;
                } else {
                    for (int k = 0; k < values.length; k++) {
                        assertArrayEquals(first[k], values[k], 0f, "round " + round + ", output " + k);
                    }
                }
            }
        }
    }

    /**
     * Training and evaluation sessions share one pool of released arrays ({@code LengthKeyedMemoryMgr.shared}):
     * evaluations between training steps change no bit of the training, and the outputs an evaluation returned
     * stay as they were while training steps run (a buffer is reused only after its session released it).
     */
    @Test
    void evaluationsBetweenTrainingStepsChangeNoBitOfEither() {
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(16, 21), 4);
        ComputationGraph alone = network();
        ComputationGraph interleaved = network();
        BertInference model = new BertInference(interleaved);
        for (int step = 0; step < 4; step++) {
            SampleBatch batch = batches.get(step % batches.size());
            Nd4j.getRandom().setSeed(100 + step);
            alone.fit(batch.toMultiDataSet(DataType.FLOAT));

            model.load(interleaved);
            BertInference.Outputs out = model.run(Nd4j.createFromArray(batch.inputIds()),
                    Nd4j.createFromArray(batch.tokenTypeIds()), Nd4j.createFromArray(batch.attentionMask()),
                    Nd4j.createFromArray(batch.maskedLmPositions()));
            INDArray logits = out.mlmLogits();
            float[] before = logits.dup('c').data().asFloat();
            Nd4j.getRandom().setSeed(100 + step);
            interleaved.fit(batch.toMultiDataSet(DataType.FLOAT));
            assertArrayEquals(before, logits.dup('c').data().asFloat(), 0f, "evaluation outputs after step " + step);
        }
        assertTrue(alone.params().equalsWithEps(interleaved.params(), 0), "parameters bit for bit");
        assertEquals(alone.params(), interleaved.params());
    }

    private static ComputationGraph network() {
        return BertModel.build(TinyBatches.config(0.1), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 9, DataType.FLOAT,
                Optimizer.adamW(1e-2, 1, 20, 0.9, 0.999, 1e-6, 0.01, 1.0));
    }
}
