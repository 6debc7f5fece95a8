package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The executor's pool of worker networks: kept between rounds, one run's networks at a time. */
class WorkerNetworksTest {

    @AfterEach
    void empty() {
        WorkerNetworks.release("run-a");
        WorkerNetworks.release("run-b");
    }

    private static ComputationGraph network() {
        return BertModel.build(TinyBatches.config(0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 9, DataType.FLOAT,
                Optimizer.adamW(1e-3, 1, 10, 0.9, 0.999, 1e-6, 0.01, 1.0));
    }

    @Test
    void aNetworkGivenBackServesTheSameRunAndAnotherRunEmptiesThePool() {
        ComputationGraph built = WorkerNetworks.take("run-a", WorkerNetworksTest::network);
        WorkerNetworks.giveBack("run-a", built);
        assertEquals(1, WorkerNetworks.idleNetworks());
        assertSame(built, WorkerNetworks.take("run-a", () -> {
            throw new AssertionError("the idle network should have been taken");
        }));
        WorkerNetworks.giveBack("run-a", built);
        ComputationGraph other = WorkerNetworks.take("run-b", WorkerNetworksTest::network);
        assertNotSame(built, other);
        assertEquals(0, WorkerNetworks.idleNetworks(), "run-b's first task emptied run-a's networks");
        WorkerNetworks.giveBack("run-a", built);
        assertEquals(0, WorkerNetworks.idleNetworks(), "a network of a run that is no longer the pool's is dropped");
        WorkerNetworks.giveBack("run-b", other);
        assertEquals(1, WorkerNetworks.idleNetworks());
    }
}
