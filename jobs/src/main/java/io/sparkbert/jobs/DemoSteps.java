package io.sparkbert.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the demo's steps: each the real command of the pipeline, in-process, with the demo's --master (for the Spark
 * commands) and --config passed on. A failed step ends the demo with that command's exit code; the command has
 * already said why.
 */
final class DemoSteps {
    static final int STEPS = 9;

    private final String master;
    private final Path config;

    DemoSteps(String master, Path config) {
        this.master = master;
        this.config = config;
    }

    /** Announces step n of the demo on stderr (where the commands' logs go). */
    static void announce(int n, String what) {
        System.err.println();
        System.err.println("== " + n + "/" + STEPS + " " + what);
    }

    /** Runs a command that must succeed. */
    void require(boolean spark, List<String> args) {
        int status = run(spark, args);
        if (status != 0) {
            throw new StepFailed(status);
        }
    }

    void require(boolean spark, String... args) {
        require(spark, List.of(args));
    }

    /** Runs a command and returns its exit code. */
    int run(boolean spark, List<String> args) {
        List<String> command = new ArrayList<>(args);
        if (master != null && spark) {
            command.addAll(List.of("--master", master));
        }
        if (config != null) {
            command.addAll(List.of("--config", config.toString()));
        }
        return SparkBert.execute(command.toArray(String[]::new));
    }

    /** A step of the demo failed; the step's command has already said why. */
    static final class StepFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        StepFailed(int status) {
            super("a step of the demo failed (exit code " + status + ")");
            this.status = status;
        }
    }
}
