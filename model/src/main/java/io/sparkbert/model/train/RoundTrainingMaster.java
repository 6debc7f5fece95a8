package io.sparkbert.model.train;

import java.util.Collection;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * DL4J's parameter averaging ({@link ParameterAveragingTrainingMaster}: broadcast parameters and Adam state,
 * each worker fits its batches, {@code treeAggregate} of the results, average) for one round per
 * {@code fitMultiDataSet} call, as {@link SparkRounds} drives it, without three costs of the stock master
 * that grow with the length of a run (docs/cluster.md, "What we changed in DL4J's round"):
 * <ol>
 *   <li><b>A network built per worker per round.</b> The stock worker deserializes the configuration and
 *       builds a new {@code ComputationGraph} (and our layer's SameDiff graph, its session and caches) for
 *       every round, then lets it go to the garbage collector with its off-heap arrays. Here each executor
 *       keeps its networks between rounds ({@link WorkerNetworks}) and only copies the round's parameters,
 *       Adam state and iteration count into one.</li>
 *   <li><b>A broadcast kept per round.</b> The stock master never releases its per-round broadcast of the
 *       parameters and Adam state (3 x the parameter bytes), so every executor's block manager holds one
 *       deserialized copy per past round, off-heap, until the driver's garbage collector happens to clean
 *       it up. Here it is destroyed as soon as the round's results are in.</li>
 *   <li><b>An extra Spark job per round.</b> The stock {@code Direct} path persists the data it is given
 *       (never unpersisted) and counts it, to split it into rounds: our rounds are already one split of
 *       exactly {@code workers x averagingFrequency} batches, so the round is trained as given.</li>
 * </ol>
 * The arithmetic is DL4J's: same worker steps, same averaging ({@code processResults}).
 */
final class RoundTrainingMaster extends ParameterAveragingTrainingMaster {
    /** Names this run's networks in the executors' pools (a pool holds one run's networks at a time). */
    private final String runId = UUID.randomUUID().toString();
    private transient Broadcast<NetBroadcastTuple> roundBroadcast;

    RoundTrainingMaster(Builder builder) {
        super(builder);
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
        ComputationGraph network = graph.getNetwork();
        NetBroadcastTuple tuple = new NetBroadcastTuple(network.getConfiguration(), network.params(),
                network.getUpdater().getStateViewArray());
        roundBroadcast = graph.getSparkContext().broadcast(tuple);
        WorkerConfiguration configuration = new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker,
                averagingFrequency, prefetchNumBatches, false);
        return new PooledWorker(roundBroadcast, runId, configuration, trainingHookList);
    }

    @Override
    protected void executeTrainingDirect(SparkComputationGraph graph, JavaRDD<MultiDataSet> round) {
        try {
            doIteration(graph, round, 1, 1);
        } finally {
            if (roundBroadcast != null) {
                roundBroadcast.destroy();
                roundBroadcast = null;
            }
        }
    }

    /** The executors' networks of this run are no longer needed (matters where the driver is an executor). */
    void release() {
        WorkerNetworks.release(runId);
    }

    /**
     * DL4J's parameter-averaging worker with a network taken from, and given back to, its executor's pool.
     * Its result holds copies of the network's parameters and Adam state, so the network can serve the next
     * round (or a retried task) while the result is still being serialized.
     */
    static final class PooledWorker extends ParameterAveragingTrainingWorker {
        private final Broadcast<NetBroadcastTuple> round;
        private final String runId;

        PooledWorker(Broadcast<NetBroadcastTuple> round, String runId, WorkerConfiguration configuration,
                     Collection<TrainingHook> hooks) {
            super(round, true, configuration, hooks, null, null);
            this.round = round;
            this.runId = runId;
        }

        @Override
        public ComputationGraph getInitialModelGraph() {
            NetBroadcastTuple tuple = round.getValue();
            ComputationGraph network = WorkerNetworks.take(runId, () -> {
                ComputationGraph fresh = new ComputationGraph(tuple.getGraphConfiguration().clone());
                fresh.init(tuple.getParameters(), true);    // a copy: no initial draws, startRound sets it anyway
                return fresh;
            });
            RoundTrainer.startRound(network, tuple.getParameters(), tuple.getUpdaterState(),
                    tuple.getGraphConfiguration());
            return network;
        }

        @Override
        public ParameterAveragingTrainingResult getFinalResult(ComputationGraph network) {
            INDArray state = network.getUpdater().getStateViewArray();
            ParameterAveragingTrainingResult result = new ParameterAveragingTrainingResult(network.params().dup(),
                    state == null ? null : state.dup(), network.score(), null, null, null);
            WorkerNetworks.giveBack(runId, network);
            return result;
        }
    }
}
