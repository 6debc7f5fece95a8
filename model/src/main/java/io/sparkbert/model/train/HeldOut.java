package io.sparkbert.model.train;

import io.sparkbert.model.BertInference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The held-out side of a run: its batches (on the driver), the unigram baseline, and dropout-free inference
 * graphs built at the first evaluation and given the current parameters before each later one (building a
 * SameDiff graph costs several forward passes; refreshing it costs a copy).
 *
 * <p>With one thread the evaluation runs on the caller's thread with its op threads, as the step before it. With
 * {@code threads} > 1 (local mode: the cores Spark was given) each thread has a graph of its own and scores every
 * {@code threads}-th batch with one op thread: a forward pass gains little from a second op thread (1.2x) and
 * much from a second batch at once. The batches' terms are added in batch order, so the figures are those of one
 * thread to the last bit.
 */
final class HeldOut implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeldOut.class);

    private final List<SampleBatch> batches;
    private final double baseline;
    private final int threads;
    private final List<ExecutorService> pool = new ArrayList<>();
    /** The inference graph of each thread; SameDiff keeps its sessions per thread, so one graph stays on one. */
    private final BertInference[] models;

    HeldOut(List<SampleBatch> batches, double baseline, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("evaluation threads must be >= 1, not " + threads);
        }
        this.batches = batches;
        this.baseline = baseline;
        this.threads = Math.min(threads, batches.size());
        this.models = new BertInference[this.threads];
        for (int t = 0; this.threads > 1 && t < this.threads; t++) {
            pool.add(DriverThreads.single("held-out-" + t));
        }
    }

    double baseline() {
        return baseline;
    }

    int samples() {
        return batches.stream().mapToInt(SampleBatch::size).sum();
    }

    /** The held-out metrics of the network's current parameters. */
    Evaluation evaluate(ComputationGraph graph) {
        long started = System.nanoTime();
        Evaluation evaluation = threads == 1 ? Evaluation.run(model(0, graph), batches) : evaluateOnThreads(graph);
        double seconds = (System.nanoTime() - started) / 1e9;
        LOG.info("held-out evaluation: {} samples in {} s ({} samples/s{})", evaluation.samples(),
                String.format(Locale.ROOT, "%.1f", seconds),
                String.format(Locale.ROOT, "%.1f", evaluation.samples() / seconds),
                threads == 1 ? "" : ", " + threads + " threads");
        return evaluation;
    }

    private Evaluation evaluateOnThreads(ComputationGraph graph) {
        return DriverThreads.withOpThreads(1, () -> {
            List<Future<List<Evaluation.BatchScore>>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                running.add(pool.get(t).submit(() -> {
                    BertInference model = model(thread, graph);
                    List<Evaluation.BatchScore> scores = new ArrayList<>();
                    for (int b = thread; b < batches.size(); b += threads) {
                        scores.add(Evaluation.score(model, batches.get(b)));
                    }
                    return scores;
                }));
            }
            List<List<Evaluation.BatchScore>> byThread = new ArrayList<>();
            for (Future<List<Evaluation.BatchScore>> r : running) {
                byThread.add(DriverThreads.await(r, "scoring held-out batches"));
            }
            Evaluation.Sums sums = new Evaluation.Sums();
            for (int b = 0; b < batches.size(); b++) {
                byThread.get(b % threads).get(b / threads).addTo(sums);
            }
            return sums.result();
        });
    }

    /** Thread {@code t}'s inference graph with the network's current parameters. */
    private BertInference model(int t, ComputationGraph graph) {
        if (models[t] == null) {
            models[t] = new BertInference(graph);
        } else {
            models[t].load(graph);
        }
        return models[t];
    }

    /** The {@code metrics.jsonl} line of an evaluation after {@code step}. */
    Map<String, Object> metricsLine(int step, Evaluation eval) {
        Map<String, Object> line = eval.metricsLine(step);
        line.put("unigram_baseline_accuracy", baseline);
        return line;
    }

    @Override
    public void close() {
        pool.forEach(ExecutorService::shutdownNow);
    }
}
