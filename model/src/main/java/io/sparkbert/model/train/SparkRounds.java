package io.sparkbert.model.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;

/**
 * Two or more workers: one DL4J {@code fitMultiDataSet} per round on the Spark executors ({@link RoundTrainingMaster}: each
 * executor keeps its network between rounds), parameters and Adam
 * state averaged at its end ({@link Pretrainer#trainingMaster}). The {@link StepHook} travels with the job,
 * seeds each step and reports it through {@code records}.
 *
 * <p>In local mode the workers are threads of the driver JVM and each ND4J op and BLAS call would use every
 * core: N workers x all cores oversubscribes the machine (measured on 2 cores, bert-mini: 1.6x slower), so
 * each worker's ops get {@code localWorkerThreads} threads for the round (0 = leave them; executors of a
 * cluster get OMP_NUM_THREADS = spark.task.cpus from Spark itself).
 */
final class SparkRounds implements RoundTrainer {
    private final SparkComputationGraph sparkGraph;
    private final RoundTrainingMaster master;
    private final StepHook hook;
    private final CollectionAccumulator<StepHook.StepRecord> records;
    private final int localWorkerThreads;

    SparkRounds(SparkComputationGraph sparkGraph, RoundTrainingMaster master, StepHook hook,
                CollectionAccumulator<StepHook.StepRecord> records, int localWorkerThreads) {
        this.sparkGraph = sparkGraph;
        this.master = master;
        this.hook = hook;
        this.records = records;
        this.localWorkerThreads = localWorkerThreads;
    }

    @Override
    public List<StepHook.StepRecord> train(int firstStep, JavaRDD<SampleBatch> batches) {
        if (sparkGraph.getNetwork().getIterationCount() != firstStep) {
            throw new IllegalStateException("the network is at iteration " + sparkGraph.getNetwork().getIterationCount()
                    + " but the run at step " + firstStep);
        }
        hook.startRound(firstStep);
        RoundTrainer.withOpThreads(localWorkerThreads,
                () -> sparkGraph.fitMultiDataSet(batches.map(b -> b.toMultiDataSet(Pretrainer.DTYPE))));
        List<StepHook.StepRecord> done = new ArrayList<>(records.value());
        records.reset();
        return done;
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
