package io.sparkbert.model.train;

import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretrainingLayerImpl;
import io.sparkbert.pipeline.samples.SeededRandom;
import java.io.Serializable;
import org.apache.spark.TaskContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs on the Spark workers around every training step of DL4J's parameter-averaging trainer:
 * <ul>
 *   <li>before the step, seeds the thread's ND4J random generator (which draws the dropout masks, see
 *       {@code Layers.FreshRandomness}) from (run seed, step, worker): the masks of a step do not depend on
 *       which executor thread happens to run the task, so a resumed run draws the same masks as an
 *       uninterrupted one;</li>
 *   <li>before a worker's first step of a round, sets its network's iteration count to the round's first
 *       global step. DL4J's parameter-averaging worker builds its network from
 *       {@code ComputationGraphConfiguration.clone()}, which does not copy the iteration count, so every
 *       round would otherwise start at iteration 0 on the workers: the learning-rate schedule would never
 *       leave its first steps and Adam's bias correction would restart each round. The driver sets
 *       {@link #startRound} before each round; the hook travels to the workers with each round's job.</li>
 *   <li>after the step, records the step's losses (from the one graph execution that made the gradient,
 *       {@link BertPretrainingLayerImpl#lastLosses}), its sample and token counts and the time the step took
 *       into a Spark accumulator the driver reads after each round.</li>
 * </ul>
 */
public final class StepHook implements TrainingHook {

    /** One worker's step: its 0-based global step, the worker (partition) and what it measured. */
    public record StepRecord(int step, int worker, double loss, double mlmLoss, double nspLoss, long samples,
                             long tokens, long nanos) implements Serializable {
    }

    private final long seed;
    private final CollectionAccumulator<StepRecord> records;
    private int roundFirstStep;
    private transient long stepStarted;

    public StepHook(long seed, CollectionAccumulator<StepRecord> records) {
        this.seed = seed;
        this.records = records;
    }

    /** Called on the driver before a round: the global step the round starts at. */
    public void startRound(int firstStep) {
        this.roundFirstStep = firstStep;
    }

    @Override
    public void preUpdate(MultiDataSet batch, Model model) {
        ComputationGraph graph = (ComputationGraph) model;
        if (graph.getIterationCount() < roundFirstStep) {
            graph.getConfiguration().setIterationCount(roundFirstStep + graph.getIterationCount());
        }
        seedStep(seed, graph.getIterationCount(), worker());
        stepStarted = System.nanoTime();
    }

    @Override
    public void postUpdate(MultiDataSet batch, Model model) {
        records.add(stepRecord((ComputationGraph) model, batch, worker(), System.nanoTime() - stepStarted));
    }

    /** Seeds this thread's ND4J generator (the dropout masks) for a worker's step. */
    static void seedStep(long seed, int step, int worker) {
        Nd4j.getRandom().setSeed(SeededRandom.seed(seed, step, worker, 0xD50L));
    }

    /** What a worker's step that just ended measured (the network's iteration count is one past it). */
    static StepRecord stepRecord(ComputationGraph graph, MultiDataSet batch, int worker, long nanos) {
        BertPretrainingLayerImpl layer = (BertPretrainingLayerImpl) graph.getLayer(BertModel.LAYER);
        BertPretrainingLayerImpl.StepLosses losses = layer.lastLosses();
        INDArray mask = batch.getFeatures(2);
        return new StepRecord(graph.getIterationCount() - 1, worker, losses.loss(), losses.mlmLoss(),
                losses.nspLoss(), mask.size(0), mask.sumNumber().longValue(), nanos);
    }

    private static int worker() {
        TaskContext task = TaskContext.get();
        return task == null ? 0 : task.partitionId();
    }

    @Override
    public void preUpdate(DataSet batch, Model model) {
        throw new UnsupportedOperationException("BERT trains on MultiDataSets");
    }

    @Override
    public void postUpdate(DataSet batch, Model model) {
        throw new UnsupportedOperationException("BERT trains on MultiDataSets");
    }
}
