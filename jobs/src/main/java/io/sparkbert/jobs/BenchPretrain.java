package io.sparkbert.jobs;

import io.sparkbert.jobs.bench.ChildRun;
import io.sparkbert.jobs.bench.PretrainFigures;

import io.sparkbert.pipeline.util.LocalFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.train.RunDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench pretrain}: our whole {@code pretrain} command and the DJL/PyTorch peer
 * ({@code io.sparkbert.jobs.bench.PeerPretrain}: the same BERT, AdamW, schedule, batches and held-out set) as
 * child processes on the same samples and the same cores, alternating, with the medians of their ratios.
 *
 * <pre>
 * for each core count c, for each run:   (ours first on odd runs, the peer first on even ones)
 *   ours: java SparkBert pretrain --master local[c] --workers W ...   pinned to cores 0..c-1 (taskset)
 *   peer: java PeerPretrain --threads c ...                           pinned the same
 * figures: loop    samples/s over the wall time of the training loop (evaluation, checkpoints, Spark jobs in it)
 *          steps   samples/s over the time inside optimizer steps only (compute)
 *          outside share of the loop's wall time outside optimizer steps
 *          command samples/s over the wall time of the whole command (JVM start, Spark, data, loop)
 * </pre>
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Our pretrain command vs the same BERT in DJL on PyTorch (CPU), on the same samples, model, "
                + "batch, optimizer and cores, alternating: samples/s over the training loop's wall time, inside "
                + "optimizer steps, and over the whole command; the ratios' medians.",
            "Make the samples with preprocess (see the README's benchmark section)."})
final class BenchPretrain implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PEER_MAIN = "io.sparkbert.jobs.bench.PeerPretrain";

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Preprocessed training samples.")
    String data;

    @Option(names = "--eval-data", required = true, paramLabel = "DIR", description = "Preprocessed held-out samples.")
    String evalData;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "mini", description = "BERT preset.")
    String preset;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "100", description = "Optimizer steps per run.")
    int steps;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "32", description = "Global batch.")
    int batchSize;

    @Option(names = "--workers", paramLabel = "W", defaultValue = "0",
            description = "Our data-parallel workers (each trains batch/W samples per step); 0: one per core, as "
                    + "pretrain's default on local[C]. The peer is one process.")
    int workers;

    @Option(names = "--averaging-frequency", paramLabel = "K", defaultValue = "10",
            description = "Our steps per round (between parameter averages when W > 1).")
    int averagingFrequency;

    @Option(names = "--learning-rate", paramLabel = "LR", defaultValue = "1e-3", description = "Peak learning rate.")
    double learningRate;

    @Option(names = "--warmup-steps", paramLabel = "N", defaultValue = "10", description = "Linear warm-up steps.")
    int warmupSteps;

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "500",
            description = "Evaluate every N steps (pretrain's default); both also evaluate at the end.")
    int evalEvery;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "1000",
            description = "Checkpoint every N steps (pretrain's default); both also checkpoint at the end.")
    int checkpointEvery;

    @Option(names = "--eval-max-samples", paramLabel = "N", defaultValue = "1024",
            description = "Held-out samples per evaluation.")
    int evalMaxSamples;

    @Option(names = "--cores", paramLabel = "C", split = ",", defaultValue = "1,2",
            description = "Core counts to compare on: ours on local[C], the peer with C threads, both pinned to C cores.")
    List<Integer> cores;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "3", description = "Runs of each, alternating.")
    int runs;

    @Option(names = "--driver-memory", paramLabel = "SIZE", defaultValue = "4g", description = "Heap of each JVM.")
    String driverMemory;

    @Option(names = "--peer-env", paramLabel = "NAME=VALUE",
            description = "An environment variable for the peer (repeatable); by default it runs without the "
                    + "launcher's native settings, e.g. --peer-env GLIBC_TUNABLES=glibc.malloc.hugetlb=1 gives it "
                    + "transparent huge pages as ours has them.")
    Map<String, String> peerEnv = new java.util.LinkedHashMap<>();

    @Option(names = "--work", paramLabel = "DIR", description = "Scratch directory (default: a temporary one).")
    Path work;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every run's figures as JSON.")
    Path json;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || steps < 1 || batchSize < 1 || workers < 0 || cores.stream().anyMatch(c -> c < 1)
                || cores.stream().anyMatch(c -> batchSize % workers(c) != 0)) {
            throw new SparkBert.UserError("--runs, --steps, --batch-size and --cores must be positive, --workers at "
                    + "least 0, and --batch-size a multiple of the workers (with --workers 0, of every --cores value)");
        }
        try {
            Class.forName("ai.djl.engine.Engine", false, getClass().getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new SparkBert.UserError("bench pretrain needs DJL's PyTorch engine on the classpath: run it through "
                    + "bin/sparkbert (the cluster jar leaves the peers out)");
        }
        Path dir = work != null ? work : Files.createTempDirectory("sparkbert-bench-pretrain");
        Files.createDirectories(dir);
        Map<String, Object> results = new java.util.LinkedHashMap<>();
        results.put("peer_env", peerEnv);
        System.out.printf(Locale.ROOT, "bench pretrain: %s, %d steps of batch %d (ours: %s, rounds of %d), "
                        + "lr %.1e, warm-up %d, eval every %d, checkpoint every %d; data %s, held out %s%n", preset, steps,
                batchSize, cores.stream().map(c -> c + " core(s): " + workers(c) + " worker(s) x " + batchSize / workers(c))
                        .collect(java.util.stream.Collectors.joining("; ")),
                averagingFrequency, learningRate, warmupSteps, evalEvery, checkpointEvery, data, evalData);
        if (!peerEnv.isEmpty()) {
            System.out.println("bench pretrain: the peer's environment adds " + peerEnv);
        }
        for (int c : cores) {
            List<PretrainFigures> oursRuns = new ArrayList<>();
            List<PretrainFigures> peerRuns = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                boolean oursFirst = run % 2 == 1;
                for (int turn = 0; turn < 2; turn++) {
                    if ((turn == 0) == oursFirst) {
                        PretrainFigures f = runOurs(dir, c);
                        oursRuns.add(f);
                        System.out.println(f.line("ours", c, run));
                    } else {
                        PretrainFigures f = runPeer(dir, c);
                        peerRuns.add(f);
                        System.out.println(f.line("peer", c, run));
                    }
                }
            }
            System.out.println(PretrainFigures.summary(c, oursRuns, peerRuns));
            results.put("cores_" + c, Map.of("ours", oursRuns, "peer", peerRuns));
        }
        if (json != null) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), results);
        }
        if (work == null) {
            LocalFiles.deleteRecursively(dir);
        }
        return 0;
    }

    /** Our workers on {@code cores} cores: {@code --workers}, or one per core as pretrain's default on local[C]. */
    private int workers(int cores) {
        return workers > 0 ? workers : cores;
    }

    private List<String> schedule() {
        return List.of("--steps", Integer.toString(steps), "--learning-rate", Double.toString(learningRate),
                "--warmup-steps", Integer.toString(warmupSteps), "--eval-every", Integer.toString(evalEvery),
                "--checkpoint-every", Integer.toString(checkpointEvery), "--eval-max-samples",
                Integer.toString(evalMaxSamples), "--eval-data", evalData, "--data", data);
    }

    private PretrainFigures runOurs(Path dir, int c) throws Exception {
        Path out = dir.resolve("ours-" + c);
        List<String> command = ChildRun.javaCommand(c, driverMemory, SparkBert.class.getName());
        command.addAll(List.of("pretrain", "--master", "local[" + c + "]", "--workers",
                Integer.toString(workers(c)), "--batch-size-per-worker", Integer.toString(batchSize / workers(c)),
                "--averaging-frequency", Integer.toString(averagingFrequency), "--preset", preset, "--output",
                out.toString(), "--overwrite", "--keep-checkpoints", "1"));
        command.addAll(schedule());
        ChildRun run = ChildRun.of(command, null, dir.resolve("ours-" + c + ".log"));
        if (run.exitCode() != 0) {
            throw new SparkBert.UserError("our pretrain failed (exit " + run.exitCode() + "), log: "
                    + dir.resolve("ours-" + c + ".log"));
        }
        // the summary's rates, over the whole loop: the last metrics line is written before the final evaluation
        // and checkpoint, which the peer's loop time includes
        JsonNode s = JSON.readTree(out.resolve(RunDirectory.SUMMARY).toFile());
        return PretrainFigures.of(s.path("samples_per_sec").asDouble(), s.path("step_samples_per_sec").asDouble(), run,
                s.path("samples").asLong(), s.path("eval_mlm_accuracy").asDouble(Double.NaN));
    }

    private PretrainFigures runPeer(Path dir, int c) throws Exception {
        Path out = dir.resolve("peer-" + c);
        if (Files.exists(out)) {
            LocalFiles.deleteRecursively(out);
        }
        List<String> command = ChildRun.javaCommand(c, driverMemory, PEER_MAIN);
        command.addAll(List.of("--threads", Integer.toString(c), "--batch-size", Integer.toString(batchSize),
                "--preset", preset, "--output", out.toString()));
        command.addAll(schedule());
        // the peer runs with PyTorch's defaults, as a DJL user would (its matrix products are oneMKL's anyway)
        ChildRun run = ChildRun.of(command, null, dir.resolve("peer-" + c + ".log"), ChildRun.LAUNCHER_ENV, peerEnv);
        if (run.exitCode() != 0) {
            throw new SparkBert.UserError("the peer failed (exit " + run.exitCode() + "), log: "
                    + dir.resolve("peer-" + c + ".log"));
        }
        JsonNode s = JSON.readTree(out.resolve("summary.json").toFile());
        double samples = s.path("samples").asDouble();
        double loop = samples / s.path("train_loop_seconds").asDouble();
        double inSteps = samples / s.path("step_seconds_total").asDouble();
        return PretrainFigures.of(loop, inSteps, run, (long) samples, s.path("eval_mlm_accuracy").asDouble(Double.NaN));
    }
}
