package io.sparkbert.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The wall time of every round of a finished pretraining run, from its metrics.jsonl: the difference of consecutive
 * rounds' last {@code wall_sec}, so evaluations and checkpoints count in the round they follow.
 *
 * @param seconds             every round's wall seconds, in order
 * @param samplesPerSecond    the run's samples/s over the training loop's wall time (its last step line)
 * @param stepSamplesPerSecond the run's samples/s inside optimizer steps
 */
public record RoundTimes(List<Double> seconds, double samplesPerSecond, double stepSamplesPerSecond) {

    /** Rounds of {@code stepsPerRound} steps from the step lines of metrics.jsonl (those with a loss). */
    public static RoundTimes of(List<JsonNode> metrics, int stepsPerRound) {
        List<JsonNode> steps = metrics.stream().filter(l -> l.has("loss")).toList();
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("metrics without a step line");
        }
        List<Double> seconds = new ArrayList<>();
        double previous = 0;
        for (int i = stepsPerRound - 1; i < steps.size(); i += stepsPerRound) {
            double wall = steps.get(i).path("wall_sec").asDouble();
            seconds.add(wall - previous);
            previous = wall;
        }
        JsonNode last = steps.get(steps.size() - 1);
        return new RoundTimes(List.copyOf(seconds), last.path("samples_per_sec").asDouble(),
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

    /** Two console lines: every round's seconds, then median, max and rates. */
    public String describe(double commandSeconds) {
        StringBuilder line = new StringBuilder("  round seconds:");
        seconds.forEach(s -> line.append(String.format(Locale.ROOT, " %.1f", s)));
        return line + String.format(Locale.ROOT, "%n  %d rounds: median %.2f s, max %.2f s (%.2fx median; after the "
                        + "first round %.2fx); %.1f samples/s over the loop, %.1f inside steps (%.1f%% outside); command "
                        + "%.0f s", seconds.size(), median(), max(), max() / median(), maxAfterFirst() / median(),
                samplesPerSecond, stepSamplesPerSecond, 100 * (1 - samplesPerSecond / stepSamplesPerSecond),
                commandSeconds);
    }

    /** The figures for bench cluster's JSON. */
    public Map<String, Object> figures(int workers, double commandSeconds) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("workers", workers);
        figures.put("round_seconds", seconds);
        figures.put("median_round_seconds", median());
        figures.put("max_round_seconds", max());
        figures.put("max_over_median_after_first_round", maxAfterFirst() / median());
        figures.put("samples_per_sec", samplesPerSecond);
        figures.put("step_samples_per_sec", stepSamplesPerSecond);
        figures.put("command_seconds", commandSeconds);
        return figures;
    }
}
