package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
