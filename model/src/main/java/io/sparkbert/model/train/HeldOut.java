package io.sparkbert.model.train;

import io.sparkbert.model.BertInference;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The held-out side of a run: its batches (on the driver), the unigram baseline, and one dropout-free
 * inference graph built at the first evaluation and given the current parameters before each later one
 * (building a SameDiff graph costs several forward passes; refreshing it costs a copy).
 */
final class HeldOut {
    private static final Logger LOG = LoggerFactory.getLogger(HeldOut.class);

    private final List<SampleBatch> batches;
    private final double baseline;
    private BertInference model;

    HeldOut(List<SampleBatch> batches, double baseline) {
        this.batches = batches;
        this.baseline = baseline;
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
        if (model == null) {
            model = new BertInference(graph);
        } else {
            model.load(graph);
        }
        Evaluation evaluation = Evaluation.run(model, batches);
        double seconds = (System.nanoTime() - started) / 1e9;
        LOG.info("held-out evaluation: {} samples in {} s ({} samples/s)", evaluation.samples(),
                String.format(Locale.ROOT, "%.1f", seconds),
                String.format(Locale.ROOT, "%.1f", evaluation.samples() / seconds));
        return evaluation;
    }

    /** The {@code metrics.jsonl} line of an evaluation after {@code step}. */
    Map<String, Object> metricsLine(int step, Evaluation eval) {
        Map<String, Object> line = eval.metricsLine(step);
        line.put("unigram_baseline_accuracy", baseline);
        return line;
    }
}
