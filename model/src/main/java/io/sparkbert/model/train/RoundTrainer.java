package io.sparkbert.model.train;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Trains the steps of one round (each worker {@code averagingFrequency} consecutive batches) and hands back
 * what every worker's step measured. Two kinds: {@link SparkRounds} (DL4J's parameter averaging over Spark
 * executors, for two or more workers) and {@link DriverRounds} (one worker: plain sequential training in the
 * driver, none of the averaging machinery). Both train the same steps on the same batches with the same
 * dropout seeds, so a one-worker run gives the same numbers either way.
 */
interface RoundTrainer {

    /**
     * Trains one round.
     *
     * @param firstStep the global step the round starts at (the network's iteration count)
     * @param batches the round's batches as {@link PretrainingData#round} lays them out: one partition per
     *                worker, in step order
     * @return one record per (step, worker)
     */
    List<StepHook.StepRecord> train(int firstStep, JavaRDD<SampleBatch> batches);

    /** The network after the last round. */
    ComputationGraph network();
}
