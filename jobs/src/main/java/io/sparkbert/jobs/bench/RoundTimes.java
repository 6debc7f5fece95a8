package io.sparkbert.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The wall time of every round of a finished pretraining run, from its metrics.jsonl: the difference of consecutive
 * rounds' last {@code wall_sec}, so evaluations and checkpoints count in the round they follow.
 *
 * @param seconds             every round's wall seconds, in order
 * @param afterEvaluationOrCheckpoint the indices of the rounds that carry an evaluation or a checkpoint (made
 *                            after the round before them)
 * @param samplesPerSecond    the run's samples/s over the training loop's wall time (its last step line)
 * @param stepSamplesPerSecond the run's samples/s inside optimizer steps
 */
public record RoundTimes(List<Double> seconds, Set<Integer> afterEvaluationOrCheckpoint, double samplesPerSecond,
                         double stepSamplesPerSecond) {

    /**
     * Rounds of {@code stepsPerRound} steps from the step lines of metrics.jsonl (those with a loss); a round that
     * ends at a step with an evaluation line, or that crosses a multiple of {@code checkpointEvery}, puts that work
     * into the next round's time.
     */
    public static RoundTimes of(List<JsonNode> metrics, int stepsPerRound, int checkpointEvery) {
        List<JsonNode> steps = metrics.stream().filter(l -> l.has("loss")).toList();
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("metrics without a step line");
        }
        Set<Integer> evaluatedSteps = new HashSet<>();
        metrics.stream().filter(l -> l.has("eval_mlm_accuracy")).forEach(l -> evaluatedSteps.add(l.path("step").asInt()));
        List<Double> seconds = new ArrayList<>();
        Set<Integer> disturbed = new TreeSet<>();
        double previous = 0;
        for (int i = stepsPerRound - 1; i < steps.size(); i += stepsPerRound) {
            double wall = steps.get(i).path("wall_sec").asDouble();
            seconds.add(wall - previous);
            previous = wall;
            int step = steps.get(i).path("step").asInt();
            if (evaluatedSteps.contains(step) || step / checkpointEvery != (step - stepsPerRound) / checkpointEvery) {
                disturbed.add(seconds.size());
            }
        }
        disturbed.removeIf(r -> r >= seconds.size());
        JsonNode last = steps.get(steps.size() - 1);
        return new RoundTimes(List.copyOf(seconds), Set.copyOf(disturbed), last.path("samples_per_sec").asDouble(),
                last.path("step_samples_per_sec").asDouble());
    }

    public double median() {
        return Median.of(seconds.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public double max() {
        return seconds.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    /** The slowest round but the first, which includes the JIT's warm-up and the executors' graph building. */
    public double maxAfterFirst() {
        return seconds.stream().skip(1).mapToDouble(Double::doubleValue).max().orElse(0);
    }

    /**
     * The slowest round but the first among those that carry no evaluation or checkpoint: what the cluster itself
     * costs (lost executors, garbage collection, stalls), with the run's planned extra work left out.
     */
    public double maxPlainAfterFirst() {
        double max = 0;
        for (int r = 1; r < seconds.size(); r++) {
            if (!afterEvaluationOrCheckpoint.contains(r)) {
                max = Math.max(max, seconds.get(r));
            }
        }
        return max;
    }

    /** Console lines: every round's seconds (* marks a round carrying an evaluation or checkpoint), then figures. */
    public String describe(double commandSeconds) {
        StringBuilder line = new StringBuilder("  round seconds (*: with an evaluation or checkpoint):");
        for (int r = 0; r < seconds.size(); r++) {
            line.append(String.format(Locale.ROOT, " %.1f%s", seconds.get(r), afterEvaluationOrCheckpoint.contains(r) ? "*" : ""));
        }
        return line + String.format(Locale.ROOT, "%n  %d rounds: median %.2f s, max %.2f s (%.2fx median; after the "
                        + "first round %.2fx; rounds without evaluation or checkpoint %.2fx); %.1f samples/s over the "
                        + "loop, %.1f inside steps (%.1f%% outside); command %.0f s", seconds.size(), median(), max(),
                max() / median(), maxAfterFirst() / median(), maxPlainAfterFirst() / median(), samplesPerSecond,
                stepSamplesPerSecond, 100 * (1 - samplesPerSecond / stepSamplesPerSecond), commandSeconds);
    }

    /** The figures for bench cluster's JSON. */
    public Map<String, Object> figures(int workers, double commandSeconds) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("workers", workers);
        figures.put("round_seconds", seconds);
        figures.put("median_round_seconds", median());
        figures.put("max_round_seconds", max());
        figures.put("max_over_median_after_first_round", maxAfterFirst() / median());
        figures.put("rounds_with_evaluation_or_checkpoint", afterEvaluationOrCheckpoint);
        figures.put("max_over_median_rounds_without_evaluation_or_checkpoint", maxPlainAfterFirst() / median());
        figures.put("samples_per_sec", samplesPerSecond);
        figures.put("step_samples_per_sec", stepSamplesPerSecond);
        figures.put("command_seconds", commandSeconds);
        return figures;
    }
}
