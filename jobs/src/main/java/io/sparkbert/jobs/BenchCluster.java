package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.jobs.bench.ChildRun;
import io.sparkbert.jobs.bench.ExecutorRssWatcher;
import io.sparkbert.jobs.bench.RoundTimes;
import io.sparkbert.model.train.RunDirectory;
import io.sparkbert.pipeline.util.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.spark.network.util.JavaUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench cluster}: pretraining on a real Spark standalone cluster on 127.0.0.1, as a soak and a scaling
 * measurement. It starts a master and one worker per data-parallel worker (1 core each), runs our whole
 * {@code pretrain} command against it (its driver a child JVM), and prints every round's wall time (the
 * difference of consecutive rounds' {@code wall_sec} in metrics.jsonl, so evaluations and checkpoints count),
 * the slowest round against the median, executors lost (executor directories beyond one per worker, and the
 * driver's "lost" lines), and each executor's peak resident memory (VmHWM, polled every 0.5 s) with its
 * resident memory sampled over the run (VmRSS, every --rss-sample-seconds) and its growth over the second half.
 * With {@code --workers 1,2} it also runs one worker (in the driver, pinned to one core: what {@code pretrain
 * --workers 1} does) over the same steps and prints the scaling efficiency, samples/s of 2 over 2 x 1.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Soak and scaling of pretrain on a local standalone cluster (1 core per worker): per-round "
                + "wall times, max/median, lost executors, peak RSS per executor; 1 vs N workers."})
final class BenchCluster implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Preprocessed training samples.")
    String data;

    @Option(names = "--eval-data", required = true, paramLabel = "DIR", description = "Preprocessed held-out samples.")
    String evalData;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "mini", description = "BERT preset.")
    String preset;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "40", description = "Rounds per run.")
    int rounds;

    @Option(names = "--averaging-frequency", paramLabel = "K", defaultValue = "10", description = "Steps per round.")
    int averagingFrequency;

    @Option(names = "--batch-size-per-worker", paramLabel = "B", defaultValue = "16", description = "Samples per "
            + "batch on each worker (the same for every worker count: weak scaling).")
    int batchSizePerWorker;

    @Option(names = "--workers", paramLabel = "W", split = ",", defaultValue = "2",
            description = "Worker counts to run (one run each, in this order); 1 trains in the driver.")
    List<Integer> workers;

    @Option(names = "--executor-memory", paramLabel = "SIZE", defaultValue = "1g", description = "Executor heap.")
    String executorMemory;

    @Option(names = "--executor-overhead", paramLabel = "SIZE", defaultValue = "2g",
            description = "spark.executor.memoryOverhead (ND4J's limits are derived from it and the heap).")
    String executorOverhead;

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "500", description = "pretrain's --eval-every.")
    int evalEvery;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "1000",
            description = "pretrain's --checkpoint-every.")
    int checkpointEvery;

    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE", description = "A Spark property for the runs on "
            + "the cluster, passed to pretrain (repeatable), e.g. spark.executor.extraJavaOptions=... to try a setting.")
    List<String> sparkConf = new ArrayList<>();

    @Option(names = "--rss-sample-seconds", paramLabel = "S", defaultValue = "60",
            description = "Seconds between samples of each executor's resident memory (printed as a series).")
    double rssSampleSeconds;

    @Option(names = "--work", paramLabel = "DIR", description = "Scratch directory (default: a temporary one).")
    Path work;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        if (rounds < 2 || averagingFrequency < 1 || batchSizePerWorker < 1 || workers.stream().anyMatch(w -> w < 1)) {
            throw new SparkBert.UserError("--rounds must be at least 2, --averaging-frequency, --batch-size-per-worker "
                    + "and --workers positive");
        }
        Path dir = work != null ? work : Files.createTempDirectory("sparkbert-bench-cluster");
        Files.createDirectories(dir);
        Map<String, Object> results = new LinkedHashMap<>();
        Map<Integer, Double> rate = new TreeMap<>();
        for (int w : workers) {
            Map<String, Object> figures = w == 1 ? runInDriver(dir) : runOnCluster(dir, w);
            rate.put(w, (Double) figures.get("samples_per_sec"));
            results.put("workers_" + w, figures);
        }
        if (rate.containsKey(1)) {
            rate.forEach((w, r) -> {
                if (w > 1) {
                    double efficiency = r / (w * rate.get(1));
                    System.out.printf(Locale.ROOT, "scaling 1 -> %d workers: %.1f -> %.1f samples/s over all rounds: "
                            + "efficiency %.0f%%%n", w, rate.get(1), r, 100 * efficiency);
                    results.put("efficiency_1_to_" + w, efficiency);
                }
            });
        }
        if (json != null) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), results);
        }
        if (work == null) {
            LocalFiles.deleteRecursively(dir);
        }
        return 0;
    }

    private Map<String, Object> runOnCluster(Path dir, int w) throws Exception {
        Path clusterDir = dir.resolve("cluster-" + w);
        LocalCluster cluster = new LocalCluster(clusterDir, LocalClusterCommand.sparkClasspath(),
                LocalCluster.java17OptionsOfThisJvm());
        cluster.start(new LocalCluster.Options(w, 1, executorMemory, 0, 0, "512m",
                120_000));
        try {
            String master = cluster.status().orElseThrow().state().masterUrl();
            List<String> command = ChildRun.javaCommand(0, null, SparkBert.class.getName());
            command.addAll(pretrain(dir.resolve("run-" + w), w));
            command.addAll(List.of("--master", master, "--spark-conf", "spark.executor.memory=" + executorMemory,
                    "--spark-conf", "spark.executor.memoryOverhead=" + executorOverhead));
            sparkConf.forEach(property -> command.addAll(List.of("--spark-conf", property)));
            Path log = dir.resolve("run-" + w + ".log");
            System.out.printf(Locale.ROOT, "bench cluster: %d workers x 1 core (master %s), %d rounds of %d steps, "
                    + "batch %d per worker; log %s%n", w, master, rounds, averagingFrequency, batchSizePerWorker, log);
            ChildRun run;
            Map<Long, Long> executorPeakMb;
            Map<Long, List<ExecutorRssWatcher.Sample>> executorRss;
            int executorDirs;
            try (ExecutorRssWatcher executors = new ExecutorRssWatcher(() -> cluster.executors(0),
                    cluster.stateDir().resolve("work"), rssSampleSeconds)) {
                run = ChildRun.of(command, null, log, List.of(), cluster.environment());
                executorPeakMb = executors.peakRssMb();
                executorRss = executors.rssSeries();
                executorDirs = executors.executorDirectories();
            }
            if (run.exitCode() != 0) {
                throw new SparkBert.UserError("pretrain on the cluster failed (exit " + run.exitCode() + "), log: " + log);
            }
            Map<String, Object> figures = report(dir.resolve("run-" + w), w, run.seconds());
            long lostLines = Files.readAllLines(log).stream().filter(l -> l.contains(" lost (")).count();
            System.out.printf(Locale.ROOT, "  executors: %d started for %d workers (%d lost); driver lines on lost "
                    + "executors: %d%n", executorDirs, w, executorDirs - w, lostLines);
            Map<String, Object> rssSeries = new LinkedHashMap<>();
            long containerMib = JavaUtils.byteStringAsMb(executorMemory) + JavaUtils.byteStringAsMb(executorOverhead);
            long javacppLimitMib = ExecutorMemory.maxPhysicalBytes(containerMib << 20) >> 20;
            executorPeakMb.forEach((pid, mb) -> {
                List<ExecutorRssWatcher.Sample> samples = executorRss.getOrDefault(pid, List.of());
                System.out.printf(Locale.ROOT, "  executor pid %d: peak RSS %,d MiB (container: heap %s + overhead %s "
                                + "= %,d MiB, %s; JavaCPP's limit %,d MiB); RSS over time (s: MiB) %s; second half %+d MiB%n",
                        pid, mb, executorMemory, executorOverhead, containerMib, mb <= containerMib ? "inside" : "EXCEEDED",
                        javacppLimitMib, ExecutorRssWatcher.describe(samples), ExecutorRssWatcher.secondHalfGrowthMb(samples));
                rssSeries.put(Long.toString(pid), samples.stream().map(s -> List.of(Math.round(s.seconds()), s.mb()))
                        .toList());
            });
            System.out.printf(Locale.ROOT, "  driver: peak RSS %d MB%n", run.peakBytes() >> 20);
            figures.put("executors_started", executorDirs);
            figures.put("executors_lost", executorDirs - w);
            figures.put("executor_container_mib", containerMib);
            figures.put("executor_peak_rss_mb", executorPeakMb.values());
            figures.put("executor_rss_series_mb", rssSeries);
            figures.put("driver_peak_rss_mb", run.peakBytes() >> 20);
            return figures;
        } finally {
            cluster.stop();
        }
    }

    private Map<String, Object> runInDriver(Path dir) throws Exception {
        // pinned to one core: what pretrain --workers 1 on one core does
        List<String> command = ChildRun.javaCommand(1, null, SparkBert.class.getName());
        command.addAll(pretrain(dir.resolve("run-1"), 1));
        command.addAll(List.of("--master", "local[1]"));
        Path log = dir.resolve("run-1.log");
        System.out.printf(Locale.ROOT, "bench cluster: 1 worker (in the driver, 1 core), %d rounds of %d steps, "
                + "batch %d; log %s%n", rounds, averagingFrequency, batchSizePerWorker, log);
        ChildRun run = ChildRun.of(command, null, log);
        if (run.exitCode() != 0) {
            throw new SparkBert.UserError("pretrain failed (exit " + run.exitCode() + "), log: " + log);
        }
        Map<String, Object> figures = report(dir.resolve("run-1"), 1, run.seconds());
        System.out.printf(Locale.ROOT, "  driver: peak RSS %d MB%n", run.peakBytes() >> 20);
        figures.put("driver_peak_rss_mb", run.peakBytes() >> 20);
        return figures;
    }

    private List<String> pretrain(Path out, int w) {
        return new ArrayList<>(List.of("pretrain", "--data", data, "--eval-data", evalData, "--output", out.toString(),
                "--overwrite", "--preset", preset, "--workers", Integer.toString(w), "--batch-size-per-worker",
                Integer.toString(batchSizePerWorker), "--averaging-frequency", Integer.toString(averagingFrequency),
                "--steps", Integer.toString(rounds * averagingFrequency), "--learning-rate", "1e-3", "--warmup-steps",
                Integer.toString(averagingFrequency), "--eval-every", Integer.toString(evalEvery),
                "--checkpoint-every", Integer.toString(checkpointEvery), "--keep-checkpoints", "1"));
    }

    /** Prints the per-round wall times of a finished run and returns its figures. */
    private Map<String, Object> report(Path run, int w, double commandSeconds) throws IOException {
        RoundTimes rounds = RoundTimes.of(new RunDirectory(run).readMetrics(), averagingFrequency, checkpointEvery);
        System.out.println(rounds.describe(commandSeconds));
        return rounds.figures(w, commandSeconds);
    }
}
