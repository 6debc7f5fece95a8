package io.sparkbert.model.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

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
    public List<StepHook.StepRecord> train(int firstStep, JavaRDD<SampleBatch> batches) {
        List<SampleBatch> round = batches.collect();    // one partition, in step order
        List<StepHook.StepRecord> records = new ArrayList<>(round.size());
        RoundTrainer.withOpThreads(threads, () -> {
            for (SampleBatch batch : round) {
                if (graph.getIterationCount() != firstStep + records.size()) {
                    throw new IllegalStateException("the network is at iteration " + graph.getIterationCount()
                            + " but the round at step " + (firstStep + records.size()));
                }
                MultiDataSet data = batch.toMultiDataSet(Pretrainer.DTYPE);
                StepHook.seedStep(seed, graph.getIterationCount(), 0);
                long started = System.nanoTime();
                graph.fit(data);
                records.add(StepHook.stepRecord(graph, data, 0, System.nanoTime() - started));
            }
            return records;
        });
        return records;
    }

    @Override
    public ComputationGraph network() {
        return graph;
    }
}
