package io.sparkbert.model.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;

/**
 * Two or more workers on a cluster: one DL4J {@code fitMultiDataSet} per round on the Spark executors
 * ({@link RoundTrainingMaster}: each executor keeps its network between rounds), parameters and Adam state
 * averaged at its end ({@link Pretrainer#trainingMaster}). The {@link StepHook} travels with the job, seeds
 * each step and reports it through {@code records}.
 *
 * <p> in local mode {@link ThreadRounds} does the same arithmetic without Spark
 * in between. Executors get OMP_NUM_THREADS = spark.task.cpus from Spark itself, so each worker's ops use
 * its task's cores.
 */
final class SparkRounds implements RoundTrainer {
    private final SparkComputationGraph sparkGraph;
    private final RoundTrainingMaster master;
    private final StepHook hook;
    private final CollectionAccumulator<StepHook.StepRecord> records;

    SparkRounds(SparkComputationGraph sparkGraph, RoundTrainingMaster master, StepHook hook,
                CollectionAccumulator<StepHook.StepRecord> records) {
        this.sparkGraph = sparkGraph;
        this.master = master;
        this.hook = hook;
        this.records = records;
    }

    @Override
    public List<StepHook.StepRecord> train(int firstStep, RoundBatches batches) {
        if (sparkGraph.getNetwork().getIterationCount() != firstStep) {
            throw new IllegalStateException("the network is at iteration " + sparkGraph.getNetwork().getIterationCount()
                    + " but the run at step " + firstStep);
        }
        hook.startRound(firstStep);
        sparkGraph.fitMultiDataSet(batches.partitions().map(b -> b.toMultiDataSet(Pretrainer.DTYPE)));
        List<StepHook.StepRecord> done = new ArrayList<>(records.value());
        records.reset();
        return done;
    }

    @Override
    public boolean trainsInDriver() {
        return false;
    }

    @Override
    public ComputationGraph network() {
        return sparkGraph.getNetwork();
    }

    @Override
    public void close() {
        master.release();
    }
}
