package io.sparkbert.jobs;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The demo's pretraining options (a picocli mixin of {@link DemoCommand}, defaults in conf/demo.conf) and the
 * {@code pretrain} command line they make: the learning-rate schedule is planned so that it ends when the minutes do.
 */
final class DemoPretraining {
    @Option(names = "--minutes", paramLabel = "M", description = "Minutes of pretraining (pretrain --max-minutes).")
    double minutes;

    @Option(names = "--preset", paramLabel = "NAME", description = "BERT preset to pretrain (tiny, mini, small, ...).")
    String preset;

    @Option(names = "--pretrain-steps", paramLabel = "N",
            description = "Pretraining steps (0 = minutes x steps-per-minute).")
    int pretrainSteps;

    @Option(names = "--steps-per-minute", paramLabel = "N",
            description = "Steps planned per minute of --minutes when --pretrain-steps is 0.")
    int stepsPerMinute;

    @Option(names = "--batch-size-per-worker", paramLabel = "B", description = "Samples per batch per worker.")
    int batchSizePerWorker;

    @Option(names = "--averaging-frequency", paramLabel = "K", description = "Steps between parameter averages.")
    int averagingFrequency;

    @Option(names = "--learning-rate", paramLabel = "LR", description = "Peak learning rate.")
    double learningRate;

    @Option(names = "--warmup-fraction", paramLabel = "F", description = "Share of the steps spent warming up.")
    double warmupFraction;

    @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate on the held-out book every N steps.")
    int evalEvery;

    @Option(names = "--eval-max-samples", paramLabel = "N", description = "Held-out samples per evaluation.")
    int evalMaxSamples;

    /** Steps planned: --pretrain-steps, or the minutes at --steps-per-minute; a user error if there are none. */
    int steps() {
        if (minutes <= 0) {
            throw new SparkBert.UserError("--minutes must be positive: " + minutes);
        }
        int steps = pretrainSteps > 0 ? pretrainSteps : (int) Math.ceil(minutes * stepsPerMinute);
        if (steps < 1) {
            throw new SparkBert.UserError("no pretraining steps: give --pretrain-steps N or --steps-per-minute N > 0");
        }
        return steps;
    }

    /** The pretrain command (without --overwrite, so that the summary can print it as a command to rerun). */
    List<String> command(Path samples, Path evalSamples, Path run) {
        int steps = steps();
        return List.of("pretrain", "--data", samples.toString(), "--eval-data", evalSamples.toString(),
                "--output", run.toString(), "--preset", preset,
                "--steps", Integer.toString(steps), "--max-minutes", format(minutes),
                "--batch-size-per-worker", Integer.toString(batchSizePerWorker),
                "--averaging-frequency", Integer.toString(averagingFrequency),
                "--learning-rate", format(learningRate),
                "--warmup-steps", Integer.toString((int) Math.round(steps * warmupFraction)),
                "--eval-every", Integer.toString(evalEvery), "--eval-max-samples", Integer.toString(evalMaxSamples),
                "--checkpoint-every", Integer.toString(steps), "--keep-checkpoints", "1");
    }

    /** A number as a user would type it: integers without ".0". */
    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e9 ? Long.toString((long) value)
                : Double.toString(value);
    }
}
