package io.sparkbert.model.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Trains the steps of one round (each worker {@code averagingFrequency} consecutive batches) and hands back
 * what every worker's step measured. Three kinds: {@link SparkRounds} (DL4J's parameter averaging over Spark
 * executors, for two or more workers on a cluster), {@link ThreadRounds} (two or more workers in local mode:
 * threads of the driver, averaged in memory) and {@link DriverRounds} (one worker: plain sequential training
 * in the driver, none of the averaging machinery). All train the same steps on the same batches with the
 * same dropout seeds.
 */
interface RoundTrainer extends AutoCloseable {

    /**
     * Trains one round.
     *
     * @param firstStep the global step the round starts at (the network's iteration count)
     * @param batches the round's batches as {@link PretrainingData#round} lays them out: one partition per
     *                worker, in step order
     * @return one record per (step, worker)
     */
    List<StepHook.StepRecord> train(int firstStep, RoundBatches batches);

    /**
     * True if the rounds are trained in the driver from {@link RoundBatches#perWorker}, whose collection the
     * training loop can then start while the round before trains; false if the batches stay on the cluster.
     */
    boolean trainsInDriver();

    /** The network after the last round. */
    ComputationGraph network();

    /** Releases what the rounds kept between them (the workers' networks). */
    @Override
    default void close() {
    }

    /**
     * One worker's steps of a round on {@code network}, in order from {@code firstStep}: dropout seeded per
     * (step, worker) as {@link StepHook} does, each step timed and recorded.
     */
    static List<StepHook.StepRecord> fitSteps(ComputationGraph network, List<SampleBatch> batches, int firstStep,
                                              long seed, int worker) {
        List<StepHook.StepRecord> records = new ArrayList<>(batches.size());
        for (SampleBatch batch : batches) {
            if (network.getIterationCount() != firstStep + records.size()) {
                throw new IllegalStateException("the network is at iteration " + network.getIterationCount()
                        + " but the round at step " + (firstStep + records.size()));
            }
            MultiDataSet data = batch.toMultiDataSet(Pretrainer.DTYPE);
            StepHook.seedStep(seed, network.getIterationCount(), worker);
            long started = System.nanoTime();
            network.fit(data);
            records.add(StepHook.stepRecord(network, data, worker, System.nanoTime() - started));
        }
        return records;
    }

    /**
     * Makes a worker's network start a round where the averaged one is: its parameters, Adam state, iteration
     * and epoch count (which the learning-rate schedule and Adam's bias correction read).
     */
    static void startRound(ComputationGraph worker, INDArray params, INDArray updaterState,
                           ComputationGraphConfiguration averaged) {
        worker.setParams(params);
        if (updaterState != null) {
            worker.getUpdater().getStateViewArray().assign(updaterState);
        }
        worker.getConfiguration().setIterationCount(averaged.getIterationCount());
        worker.getConfiguration().setEpochCount(averaged.getEpochCount());
    }
}
