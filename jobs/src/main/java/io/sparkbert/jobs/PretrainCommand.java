package io.sparkbert.jobs;

import io.sparkbert.model.train.PretrainConfig;
import io.sparkbert.model.train.Pretrainer;
import io.sparkbert.model.train.RunDirectory;
import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.util.LocalFiles;
import io.sparkbert.pipeline.util.OutputLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** BERT pretraining on Spark: the thin command-line glue over {@link Pretrainer}. */
@Command(name = "pretrain", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Pretrain BERT (MLM + NSP) on preprocessed samples, data-parallel on Spark with DL4J's "
                + "parameter averaging (docs/design.md §5, §6).",
            "RUN_DIR gets metrics.jsonl, curves.svg, unigram_baseline.json, summary.json and "
                + "checkpoints/step-NNNNNN (+ latest). Rerunning the same command resumes from the latest "
                + "checkpoint with the same data order."})
final class PretrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "DIR[,DIR...]",
            description = "Preprocessed datasets (bin/sparkbert preprocess output).")
    String data;

    @Option(names = "--output", required = true, paramLabel = "RUN_DIR", description = "The run directory.")
    Path output;

    @Option(names = "--preset", paramLabel = "NAME", description = "A fresh model: tiny, mini, small, medium, base, large.")
    String preset;

    @Option(names = "--init", paramLabel = "CKPT", description = "Start from this checkpoint's parameters instead.")
    Path init;

    @Option(names = "--init-embeddings", paramLabel = "GLOVE_VECTORS",
            description = "Initialise the token embeddings from GloVe text vectors (dimension = hidden size).")
    String initEmbeddings;

    @Option(names = "--freeze-embeddings", negatable = true,
            description = "Keep the GloVe-initialised token embeddings (and the tied MLM decoder) fixed.")
    boolean freezeEmbeddings;

    @Option(names = "--eval-data", paramLabel = "DIR[,DIR...]", description = "Held-out datasets.")
    String evalData;

    @Option(names = "--eval-fraction", paramLabel = "F", description = "Held-out share when no --eval-data.")
    double evalFraction;

    @Option(names = "--eval-max-samples", paramLabel = "N", description = "Held-out samples per evaluation.")
    int evalMaxSamples;

    @Option(names = "--steps", paramLabel = "N", description = "Total optimizer steps.")
    int steps;

    @Option(names = "--max-minutes", paramLabel = "M", description = "Stop after M minutes (0 = no limit).")
    double maxMinutes;

    @Option(names = "--executor-wait", paramLabel = "SECONDS",
            description = "On a cluster: stop (checkpoints intact) after this long without any executor.")
    int executorWaitSeconds;

    @Option(names = "--batch-size-per-worker", paramLabel = "B", description = "Samples per batch per worker.")
    int batchSizePerWorker;

    @Option(names = "--workers", paramLabel = "N", description = "Data-parallel workers (0 = default parallelism).")
    int workers;

    @Option(names = "--averaging-frequency", paramLabel = "K", description = "Steps between parameter averages.")
    int averagingFrequency;

    @Option(names = "--learning-rate", paramLabel = "LR", description = "Peak learning rate.")
    double learningRate;

    @Option(names = "--warmup-steps", paramLabel = "W", description = "Linear warm-up steps.")
    int warmupSteps;

    @Option(names = "--beta1", paramLabel = "B1", description = "Adam beta1.")
    double beta1;

    @Option(names = "--beta2", paramLabel = "B2", description = "Adam beta2.")
    double beta2;

    @Option(names = "--epsilon", paramLabel = "EPS", description = "Adam epsilon.")
    double epsilon;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "Decoupled weight decay.")
    double weightDecay;

    @Option(names = "--clip-norm", paramLabel = "N", description = "Gradient clipping by global norm.")
    double clipNorm;

    @Option(names = "--dynamic-masking", negatable = true, description = "Re-mask samples every epoch.")
    boolean dynamicMasking;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of data order, dropout and initialisation.")
    long seed;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Checkpoint every N steps.")
    int checkpointEvery;

    @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate every N steps.")
    int evalEvery;

    @Option(names = "--keep-checkpoints", paramLabel = "K", description = "Checkpoints kept.")
    int keepCheckpoints;

    @Option(names = "--prefetch", paramLabel = "N", description = "Batches each worker prefetches.")
    int prefetch;

    @Option(names = "--storage-level", paramLabel = "LEVEL", description = "Spark storage level of cached data.")
    String storageLevel;

    @Option(names = "--in-driver-max-mb", paramLabel = "MB",
            description = "With a local master, shuffle and batch the epochs in the driver from the training samples "
                    + "when they take at most this many MB there (estimated; same batches; 0 = always on Spark).")
    long inDriverMaxMb;

    @Option(names = "--repartition", paramLabel = "never|always|num-partitions-workers-differs",
            description = "DL4J's repartitioning of each round (anything but never gives up reproducibility).")
    String repartition;

    @Option(names = "--overwrite", negatable = true, description = "Start over in an existing run directory.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Mixin
    SparkSessions sparkOptions;

    @Override
    public Integer call() throws Exception {
        SparkBert.UserError.requireAtLeast("--workers", workers, 0, "0 = Spark's default parallelism");
        SparkBert.UserError.requireAtLeast("--executor-wait", executorWaitSeconds, 1, "seconds");
        SparkBert.UserError.requireAtLeast("--in-driver-max-mb", inDriverMaxMb, 0, "0 = always on Spark");
        Settings settings = config.settings();
        if (init != null && !Files.isDirectory(init)) {
            throw new SparkBert.UserError("--init " + init + " is not a checkpoint directory");
        }
        if (init == null && preset == null) {
            throw new SparkBert.UserError("give --preset NAME or --init CKPT");
        }
        try (OutputLock lock = OutputLocks.acquire(output.toAbsolutePath().toUri().toString())) {
            if (overwrite && Files.exists(output)) {
                LocalFiles.deleteRecursively(output);
            }
            RunDirectory run = new RunDirectory(output);
            RunDirectory.Before before = run.before();
            try {
                return train(settings);
            } catch (Exception e) {
                run.undoFailedStart(before);
                throw e;
            }
        }
    }

    private int train(Settings settings) throws Exception {
        SparkSession spark = sparkOptions.start("pretrain", settings);
        try {
            int workerCount = workers > 0 ? workers : spark.sparkContext().defaultParallelism();
            PretrainConfig cfg = new PretrainConfig(steps, batchSizePerWorker, workerCount, averagingFrequency,
                    learningRate, warmupSteps, beta1, beta2, epsilon, weightDecay, clipNorm, dynamicMasking, seed,
                    evalFraction, evalMaxSamples, evalEvery, checkpointEvery, keepCheckpoints, maxMinutes, prefetch,
                    storageLevel, inDriverMaxMb, repartition);
            Pretrainer.ModelSource source = new Pretrainer.ModelSource(init != null ? null : preset, init,
                    initEmbeddings, freezeEmbeddings);
            List<String> evalDirs = evalData == null || evalData.isBlank() ? List.of() : CorpusPaths.split(evalData);
            Pretrainer.Summary s = new Pretrainer(spark, cfg, output,
                    Duration.ofSeconds(executorWaitSeconds)).run(CorpusPaths.split(data), evalDirs, source);
            s.lines(output).forEach(System.err::println);
            return 0;
        } catch (IllegalArgumentException e) {
            throw new SparkBert.UserError(e.getMessage());
        } finally {
            spark.stop();
        }
    }
}
