package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;

/** The executor's pool of worker networks: one run's networks at a time, and a heap collection after a round. */
class WorkerNetworksTest {

    @AfterEach
    void restore() {
        WorkerNetworks.collectHeapEvery(HeapCollection.INTERVAL_SECONDS);
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
        assertTrue(other != built);
        assertEquals(0, WorkerNetworks.idleNetworks(), "run-b's first task emptied run-a's networks");
        WorkerNetworks.giveBack("run-a", built);
        assertEquals(0, WorkerNetworks.idleNetworks(), "a network of a run that is no longer the pool's is dropped");
    }

    /** After a worker's round the executor collects its heap when one is due: garbage arrays free their memory. */
    @Test
    void givingANetworkBackCollectsTheHeapWhenACollectionIsDue() {
        ComputationGraph built = WorkerNetworks.take("run-a", WorkerNetworksTest::network);
        WorkerNetworks.collectHeapEvery(0);
        WeakReference<Object> garbage = new WeakReference<>(new byte[1 << 20]);
        long before = collections();
        WorkerNetworks.giveBack("run-a", built);
        assertTrue(collections() > before, "no collection after the round");
        assertTrue(garbage.get() == null, "an unreachable array survived the collection");
    }

    private static long collections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }
}
