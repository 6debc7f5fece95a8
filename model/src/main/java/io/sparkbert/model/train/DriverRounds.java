package io.sparkbert.model.train;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * One worker: the round's batches are fetched to the driver and trained there, one {@code fit} per step on
 * the same network all run long. With one worker parameter averaging averages nothing, but DL4J's trainer
 * would still broadcast the parameters and Adam state every round, rebuild the network (and its SameDiff
 * graph) on the executor, and send everything back; here none of that happens. The steps are those of
 * {@link SparkRounds} with one worker, bit for bit: the same batches in the same order, dropout seeded per
 * step as {@link StepHook} does, the iteration count carried by the network itself.
 *
 * <p>The step's ND4J ops and BLAS calls use {@code threads} threads (the cores Spark was given in local
 * mode), set for the round and restored after it.
 */
final class DriverRounds implements RoundTrainer {
    private final ComputationGraph graph;
    private final long seed;
    private final int threads;

    DriverRounds(ComputationGraph graph, long seed, int threads) {
        this.graph = graph;
        this.seed = seed;
        this.threads = threads;
    }

    @Override
    public List<StepHook.StepRecord> train(int firstStep, RoundBatches batches) {
        List<SampleBatch> round = batches.perWorker().get(0);
        return DriverThreads.withOpThreads(threads, () -> RoundTrainer.fitSteps(graph, round, firstStep, seed, 0));
    }

    @Override
    public boolean trainsInDriver() {
        return true;
    }

    @Override
    public ComputationGraph network() {
        return graph;
    }
}
