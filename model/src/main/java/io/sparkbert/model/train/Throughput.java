package io.sparkbert.model.train;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Training throughput as a user meets it. The headline rates are over WALL time since the training loop
 * started: everything between steps (Spark jobs, parameter averaging, (de)serialisation, evaluation,
 * checkpoints) counts. The narrower "step" rates are over the time spent inside optimizer steps only
 * (forward, backward and update); for data-parallel rounds the time of a round's steps is that of its
 * slowest worker, since the others wait for it.
 */
public final class Throughput {
    private final long started = System.nanoTime();
    private long ended = started;
    private long samples;
    private long tokens;
    private long stepNanos;

    /** Adds one round's step records. */
    void add(List<StepHook.StepRecord> round) {
        Map<Integer, Long> perWorker = new HashMap<>();
        for (StepHook.StepRecord r : round) {
            samples += r.samples();
            tokens += r.tokens();
            perWorker.merge(r.worker(), r.nanos(), Long::sum);
        }
        stepNanos += perWorker.values().stream().mapToLong(Long::longValue).max().orElse(0);
        ended = System.nanoTime();
    }

    /** Marks the end of a round's work (after its evaluation and checkpoint, if any). */
    void endRound() {
        ended = System.nanoTime();
    }

    public long samples() {
        return samples;
    }

    public long tokens() {
        return tokens;
    }

    /** Wall seconds of the training loop so far (to the end of the last round's work). */
    public double wallSeconds() {
        return (ended - started) / 1e9;
    }

    /** Seconds inside optimizer steps. */
    public double stepSeconds() {
        return stepNanos / 1e9;
    }

    /** Samples per wall second of the training loop. */
    public double samplesPerSecond() {
        return rate(samples, wallSeconds());
    }

    /** Real (non-padding) tokens per wall second of the training loop. */
    public double tokensPerSecond() {
        return rate(tokens, wallSeconds());
    }

    /** Samples per second inside optimizer steps (compute only). */
    public double stepSamplesPerSecond() {
        return rate(samples, stepSeconds());
    }

    /** The share of the loop's wall time spent outside optimizer steps. */
    public double outsideStepsShare() {
        double wall = wallSeconds();
        return wall > 0 ? Math.max(0, 1 - stepSeconds() / wall) : 0;
    }

    private static double rate(long count, double seconds) {
        return seconds > 0 ? count / seconds : 0;
    }
}
