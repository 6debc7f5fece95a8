package io.sparkbert.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Two or more workers in local mode, where Spark's executors would be threads of the driver JVM anyway: each
 * worker is a thread of its own with a network of its own, kept all run long, and parameter averaging is an
 * in-memory mean. Under DL4J's trainer the same round would still serialize the parameters and Adam state
 * into a broadcast, serialize every worker's result back, and run a Spark job and a tree aggregation to add
 * them up: 16% of a two-worker round's wall time on two cores (docs/performance.md).
 *
 * <p>The arithmetic is DL4J's ({@code ParameterAveragingTrainingMaster.processResults}): each worker starts
 * the round from the driver network's parameters, Adam state and iteration count, fits its batches in step
 * order with dropout seeded per (step, worker) as {@link StepHook} does; the driver network then takes the
 * sum of the workers' parameters and Adam states divided by the number of workers, and its iteration count
 * moves on by the round's steps. The sum is taken in worker order, so a run is reproducible for any number of
 * workers (Spark adds the results in the order its tasks finish); for two workers the order cannot matter and
 * the steps equal those of {@link SparkRounds} bit for bit.
 *
 * <p>Each worker thread's ND4J ops and BLAS calls use {@code threadsPerWorker} threads (the machine's cores
 * shared among the workers, as {@link SparkRounds} does in local mode).
 */
final class ThreadRounds implements RoundTrainer {
    private final ComputationGraph graph;
    private final long seed;
    private final int threadsPerWorker;
    private final List<ComputationGraph> workers = new ArrayList<>();
    /** One thread per worker, so a network (and its SameDiff sessions, which are per thread) stays on one. */
    private final List<ExecutorService> threads = new ArrayList<>();

    ThreadRounds(ComputationGraph graph, int workerCount, long seed, int threadsPerWorker) {
        if (workerCount < 2) {
            throw new IllegalArgumentException("thread rounds need two or more workers, not " + workerCount);
        }
        this.graph = graph;
        this.seed = seed;
        this.threadsPerWorker = threadsPerWorker;
        for (int w = 0; w < workerCount; w++) {
            String name = "pretrain-worker-" + w;
            threads.add(DriverThreads.single("pretrain-worker-" + w));
            ComputationGraph network = new ComputationGraph(graph.getConfiguration().clone());
            network.init(graph.params(), true);     // a copy: no initial draws, each round overwrites it anyway
            workers.add(network);
        }
    }

    @Override
    public List<StepHook.StepRecord> train(int firstStep, RoundBatches batches) {
        List<List<SampleBatch>> perWorker = batches.perWorker();
        if (perWorker.size() != workers.size()) {
            throw new IllegalStateException("a round of " + perWorker.size() + " partitions for " + workers.size()
                    + " workers");
        }
        return DriverThreads.withOpThreads(threadsPerWorker, () -> {
            List<Future<List<StepHook.StepRecord>>> running = new ArrayList<>();
            for (int w = 0; w < workers.size(); w++) {
                int worker = w;
                running.add(threads.get(w).submit(() -> trainWorker(worker, perWorker.get(worker), firstStep)));
            }
            List<StepHook.StepRecord> records = new ArrayList<>();
            RuntimeException failed = null;
            for (Future<List<StepHook.StepRecord>> r : running) {   // every worker finishes before any failure is thrown
                try {
                    records.addAll(DriverThreads.await(r, "a worker's round"));
                } catch (RuntimeException e) {
                    failed = failed == null ? e : failed;
                }
            }
            if (failed != null) {
                throw failed;
            }
            average(perWorker.get(0).size());
            return records;
        });
    }

    /** One worker's part of the round, on its own thread: start from the driver's network, fit its batches. */
    private List<StepHook.StepRecord> trainWorker(int worker, List<SampleBatch> round, int firstStep) {
        ComputationGraph network = workers.get(worker);
        RoundTrainer.startRound(network, graph.params(), graph.getUpdater().getStateViewArray(),
                graph.getConfiguration());
        return RoundTrainer.fitSteps(network, round, firstStep, seed, worker);
    }

    /**
     * The driver's network becomes the mean of the workers' (DL4J's processResults: the sum in worker order,
     * then divided by the number of workers), computed in place in its parameter and Adam-state arrays.
     */
    private void average(int roundSteps) {
        INDArray params = graph.params();
        INDArray state = graph.getUpdater().getStateViewArray();
        params.assign(workers.get(0).params());
        state.assign(workers.get(0).getUpdater().getStateViewArray());
        for (int w = 1; w < workers.size(); w++) {
            params.addi(workers.get(w).params());
            state.addi(workers.get(w).getUpdater().getStateViewArray());
        }
        params.divi(workers.size());
        state.divi(workers.size());
        graph.getConfiguration().setIterationCount(graph.getIterationCount() + roundSteps);
    }

    @Override
    public boolean trainsInDriver() {
        return true;
    }

    @Override
    public ComputationGraph network() {
        return graph;
    }

    @Override
    public void close() {
        threads.forEach(ExecutorService::shutdownNow);
        workers.clear();
    }
}
