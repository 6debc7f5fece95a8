package io.sparkbert.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BlasKernels;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretrainingLayer;
import io.sparkbert.model.Optimizer;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.pipeline.glove.GloveVectors;
import io.sparkbert.pipeline.preprocess.SampleDataset;
import io.sparkbert.pipeline.samples.Masker;
import io.sparkbert.pipeline.samples.TrainingSample;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * BERT pretraining, data-parallel on Spark with DL4J's {@link SparkComputationGraph} and
 * {@link ParameterAveragingTrainingMaster} (docs/design.md §6).
 *
 * <h2>Steps and rounds</h2>
 * A step is one optimizer update on every worker (global batch = workers · batch size per worker). A round
 * is one {@code fitMultiDataSet} call: each of the {@code workers} partitions trains
 * {@code averagingFrequency} consecutive batches, then DL4J averages parameters and Adam state
 * ({@code saveUpdater}). Rounds are fed exactly {@code workers · averagingFrequency} batches in
 * {@code workers} partitions with {@link Repartition#Never}, so DL4J neither splits nor reshuffles them:
 * which worker trains which batch is decided here ({@link PretrainingData#round}) and is the same in every
 * run. With one worker there is nothing to average: {@link DriverRounds} trains the round's batches in the
 * driver instead, the same steps bit for bit ({@link RoundTrainer}). Metrics, evaluations and checkpoints
 * happen between rounds (their intervals round up to whole rounds).
 *
 * <h2>Resume</h2>
 * A checkpoint holds the parameters and Adam state (DL4J's model zip, whose configuration also carries the
 * iteration count the learning-rate schedule reads) and {@code state.json} (step; the data position is
 * step · workers global batches). Dropout masks are seeded per (step, worker) by {@link StepHook}, so a
 * resumed run repeats an uninterrupted one step for step.
 */
public final class Pretrainer {
    private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);
    static final DataType DTYPE = DataType.FLOAT;

    /** Where the initial model comes from: a preset (fresh) or a checkpoint (its parameters). */
    public record ModelSource(String preset, Path initCheckpoint, String initEmbeddings,
                              boolean freezeEmbeddings) {
        public ModelSource {
            if ((preset == null) == (initCheckpoint == null)) {
                throw new IllegalArgumentException("give exactly one of --preset and --init");
            }
            if (freezeEmbeddings && initEmbeddings == null) {
                throw new IllegalArgumentException("--freeze-embeddings needs --init-embeddings");
            }
        }

        public ModelSource(String preset, Path initCheckpoint) {
            this(preset, initCheckpoint, null, false);
        }

        String describe() {
            String model = preset != null ? "preset:" + preset : "init:" + initCheckpoint.toAbsolutePath().normalize();
            return model + (initEmbeddings == null ? "" : " embeddings:" + initEmbeddings
                    + (freezeEmbeddings ? " (frozen)" : ""));
        }
    }

    /** What a finished (or stopped) run reports. */
    public record Summary(int step, int steps, boolean finished, boolean resumed, int resumedStep,
                          Evaluation lastEvaluation, double unigramBaseline, Throughput throughput,
                          Path lastCheckpoint, String batchedOn) {
        /**
         * The summary as {@value RunDirectory#SUMMARY}: the rates over the whole training loop of this invocation,
         * its final evaluation and checkpoint included (a metrics line is written before its round's evaluation).
         */
        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("step", step);
            json.put("steps", steps);
            json.put("finished", finished);
            json.put("resumed_from_step", resumed ? resumedStep : null);
            json.put("samples", throughput.samples());
            json.put("train_loop_seconds", throughput.wallSeconds());
            json.put("samples_per_sec", throughput.samplesPerSecond());
            json.put("tokens_per_sec", throughput.tokensPerSecond());
            json.put("step_seconds", throughput.stepSeconds());
            json.put("step_samples_per_sec", throughput.stepSamplesPerSecond());
            json.put("outside_steps_share", throughput.outsideStepsShare());
            if (lastEvaluation != null) {
                json.put("eval_mlm_accuracy", lastEvaluation.mlmAccuracy());
                json.put("eval_mlm_loss", lastEvaluation.mlmLoss());
                json.put("eval_nsp_accuracy", lastEvaluation.nspAccuracy());
                json.put("eval_nsp_loss", lastEvaluation.nspLoss());
            }
            json.put("unigram_baseline", unigramBaseline);
            json.put("last_checkpoint", lastCheckpoint == null ? null : lastCheckpoint.getFileName().toString());
            json.put("epochs_batched_on", batchedOn);
            return json;
        }

        /** The summary printed at the end of a run: steps, wall-time rates, held-out figures, where the files are. */
        public List<String> lines(Path runDir) {
            List<String> lines = new ArrayList<>();
            Throughput t = throughput;
            lines.add(String.format(Locale.ROOT, "pretrain: step %d/%d%s%s, %.1f s training loop, %.1f samples/s, "
                            + "%.0f tokens/s over wall time (%.1f samples/s inside optimizer steps, %.1f%% of the "
                            + "loop outside them)", step, steps, finished ? " (finished)" : " (stopped; rerun to continue)",
                    resumed ? ", resumed from step " + resumedStep : "", t.wallSeconds(), t.samplesPerSecond(),
                    t.tokensPerSecond(), t.stepSamplesPerSecond(), 100 * t.outsideStepsShare()));
            Evaluation e = lastEvaluation;
            if (e != null) {
                lines.add(String.format(Locale.ROOT, "  held-out: MLM accuracy %.4f (unigram baseline %.4f, %.2fx), "
                                + "MLM loss %.4f, NSP accuracy %.4f, NSP loss %.4f on %d samples", e.mlmAccuracy(),
                        unigramBaseline, e.mlmAccuracy() / unigramBaseline, e.mlmLoss(), e.nspAccuracy(),
                        e.nspLoss(), e.samples()));
            }
            lines.add(String.format(Locale.ROOT, "  %s: %s, %s, checkpoints/%s", runDir, RunDirectory.METRICS,
                    RunDirectory.CURVES, lastCheckpoint == null ? "-" : lastCheckpoint.getFileName()));
            return lines;
        }
    }

    /** How long a run on a cluster waits without any executor before it stops (with its checkpoints intact). */
    public static final Duration DEFAULT_EXECUTOR_WAIT = Duration.ofMinutes(5);

    private final SparkSession spark;
    private final JavaSparkContext sc;
    private final PretrainConfig config;
    private final RunDirectory run;
    private final Duration executorWait;

    public Pretrainer(SparkSession spark, PretrainConfig config, Path runDir) {
        this(spark, config, runDir, DEFAULT_EXECUTOR_WAIT);
    }

    public Pretrainer(SparkSession spark, PretrainConfig config, Path runDir, Duration executorWait) {
        this.spark = spark;
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.config = config;
        this.run = new RunDirectory(runDir);
        this.executorWait = executorWait;
    }

    /**
     * Trains (or resumes) the run.
     *
     * @param dataDirs preprocessed training datasets
     * @param evalDirs held-out datasets, or empty to hold out {@code evalFraction} of the training data
     */
    public Summary run(List<String> dataDirs, List<String> evalDirs, ModelSource source) throws IOException {
        ExecutorWatch watch = new ExecutorWatch(sc.sc(), executorWait);
        try {
            return train(dataDirs, evalDirs, source);
        } catch (Exception e) {     // Spark's SparkException is checked but thrown undeclared
            if (watch.gaveUp()) {
                throw new NoExecutorsException(watch.describe() + "; its checkpoints are intact (latest: "
                        + run.latestCheckpoint().map(Path::toString).orElse("none yet")
                        + "): rerun the same command to resume", e);
            }
            throw e;
        } finally {
            watch.close();
        }
    }

    /**
     * The training loop: open (or resume) the run, load the data, then rounds until the last step, each
     * followed by its metrics and, when due, an evaluation and a checkpoint.
     */
    private Summary train(List<String> dataDirs, List<String> evalDirs, ModelSource source) throws IOException {
        SampleDataset.Info info = SampleDataset.open(dataDirs, sc.hadoopConfiguration());
        SampleDataset.Info evalInfo = openHeldOutData(evalDirs, info);
        int roundSteps = config.averagingFrequency();
        int totalSteps = ceilTo(config.steps(), roundSteps);
        if (totalSteps != config.steps()) {
            LOG.info("steps {} rounded up to {} (a multiple of the averaging frequency {})", config.steps(),
                    totalSteps, roundSteps);
        }
        Start start = openRun(describe(dataDirs, evalDirs, source, info, totalSteps), source, info, totalSteps);
        if (start.step() >= totalSteps) {
            LOG.info("run {} already finished at step {}; nothing to do", run.path(), start.step());
            return new Summary(start.step(), totalSteps, true, true, start.step(), null, readBaseline(),
                    new Throughput(), start.checkpoint(), null);
        }

        JavaPairRDD<Long, TrainingSample> all = PretrainingData.read(spark, info);
        double fraction = config.evalFraction();
        long seed = config.seed();
        JavaPairRDD<Long, TrainingSample> train = evalInfo == null
                ? all.filter(kv -> !PretrainingData.isHeldOut(kv._2, fraction, seed)) : all;
        long estimatedMb = DriverEpochs.estimatedMb(info.samples(), info.seqLen(), info.maxPredictions());
        // in local mode every trainer trains in the driver; its epochs are batched there too when the samples fit
        boolean inDriver = sc.isLocal() && config.inDriverMaxMb() > 0 && estimatedMb <= config.inDriverMaxMb();
        List<Tuple2<Long, TrainingSample>> trainInDriver = null;
        UnigramBaseline.TrainingCounts counts;
        if (inDriver) {
            trainInDriver = new ArrayList<>();
            for (Iterator<TrainingSample> read = info.readHere(sc.hadoopConfiguration()); read.hasNext(); ) {
                TrainingSample s = read.next();
                if (evalInfo != null || !PretrainingData.isHeldOut(s, fraction, seed)) {
                    trainInDriver.add(new Tuple2<>(PretrainingData.contentKey(s), s));
                }
            }
            counts = UnigramBaseline.TrainingCounts.of(trainInDriver.stream().map(Tuple2::_2).iterator(),
                    info.vocab().size());
        } else {
            train = train.persist(StorageLevel.fromString(config.storageLevel()));
            counts = UnigramBaseline.TrainingCounts.of(train, info.vocab().size());
        }
        long trainSamples = counts.samples();
        HeldOut heldOut = heldOut(evalInfo == null
                ? all.filter(kv -> PretrainingData.isHeldOut(kv._2, fraction, seed))
                : PretrainingData.read(spark, evalInfo), counts, info);
        long batchesPerEpoch = trainSamples / config.batchSizePerWorker();
        if (batchesPerEpoch < (long) config.workers() * roundSteps) {
            throw new IllegalArgumentException("too little training data: " + trainSamples + " samples make "
                    + batchesPerEpoch + " batches of " + config.batchSizePerWorker() + ", fewer than one round needs ("
                    + config.workers() + " workers x " + roundSteps + " steps)");
        }
        BlasKernels.logOnce();
        LOG.info("training data: {} samples ({} batches of {} per epoch), held out: {} samples; unigram MLM "
                        + "baseline {}", trainSamples, batchesPerEpoch, config.batchSizePerWorker(), heldOut.samples(),
                String.format(Locale.ROOT, "%.4f", heldOut.baseline()));
        Epochs epochs;
        if (inDriver) {
            LOG.info("epochs shuffled and batched in the driver from the {} training samples it holds (at most {} MB"
                    + " estimated, --in-driver-max-mb {})", trainSamples, estimatedMb, config.inDriverMaxMb());
            DriverEpochs driverEpochs = new DriverEpochs(trainInDriver, seed, config.batchSizePerWorker(),
                    config.dynamicMasking() ? info.masker() : null);
            trainInDriver = null;
            epochs = new Epochs() {
                @Override
                public RoundBatches round(long first) {
                    return RoundBatches.inDriver(driverEpochs, first, config.workers(), config.averagingFrequency());
                }

                @Override
                public String batchedOn() {
                    return "driver";
                }
            };
        } else {
            Broadcast<Masker> masker = config.dynamicMasking() ? sc.broadcast(info.masker()) : null;
            epochs = new SparkEpochs(train, trainSamples, batchesPerEpoch, masker);
        }
        try (RoundTrainer rounds = roundTrainer(start.graph()); heldOut) {
            return trainRounds(start, totalSteps, rounds, epochs, heldOut, info);
        } finally {
            epochs.release();
            train.unpersist();
        }
    }

    /** Where a run starts: its network, the step it has reached, and the checkpoint it was read from. */
    private record Start(ComputationGraph graph, int step, boolean resumed, Path checkpoint) {
    }

    /**
     * Checks that the run directory holds this run (or none yet), then resumes its latest checkpoint or
     * builds the initial network and records the run.
     */
    private Start openRun(ObjectNode description, ModelSource source, SampleDataset.Info info, int totalSteps)
            throws IOException {
        JsonNode recorded = run.runDescription().orElse(null);
        if (recorded != null && !recorded.equals(description)) {
            throw new IllegalArgumentException("run directory " + run.path() + " holds a different run: it was "
                    + "started with " + recorded + " but this command asks for " + description
                    + "; choose a new --output, or delete the directory to start over");
        }
        Start start;
        Path latest = run.latestCheckpoint().orElse(null);
        if (latest != null) {
            int step = RunDirectory.readState(latest).path("step").asInt();
            start = new Start(Checkpoint.read(latest).graph(), step, true, latest);
            run.truncateMetrics(step);
            if (step < totalSteps) {
                LOG.info("resuming {} from {} (step {} of {})", run.path(), latest.getFileName(), step, totalSteps);
            }
        } else {
            start = new Start(initialNetwork(source, info, totalSteps), 0, false, null);
            run.writeRunDescription(description);
            run.truncateMetrics(0);
        }
        BertPretrainingLayer layer = BertModel.layer(start.graph());
        if (layer.seqLen() != info.seqLen() || layer.maxPredictions() != info.maxPredictions()) {
            throw new IllegalStateException("the network takes " + layer.seqLen() + " tokens / " + layer.maxPredictions()
                    + " predictions but the data has " + info.seqLen() + " / " + info.maxPredictions());
        }
        return start;
    }

    /** The rounds from the start to the last step (or to --max-minutes). */
    private Summary trainRounds(Start start, int totalSteps, RoundTrainer rounds, Epochs epochs, HeldOut heldOut,
                                SampleDataset.Info info) throws IOException {
        int roundSteps = config.averagingFrequency();
        int step = start.step();
        ComputationGraph graph = start.graph();
        Progress progress = new Progress(step, totalSteps);
        Throughput throughput = new Throughput();
        Evaluation lastEval = null;
        Path lastCheckpoint = start.checkpoint();
        long started = System.nanoTime();
        HeapCollection heap = new HeapCollection(HeapCollection.INTERVAL_SECONDS);
        try (RoundFeed feed = new RoundFeed(epochs, totalSteps, rounds.trainsInDriver())) {
            while (step < totalSteps) {
                List<StepHook.StepRecord> done = rounds.train(step, feed.take(step));
                heap.collectIfDue();     // counted in the loop's time outside steps, as everything between rounds
                throughput.add(done);
                List<Map<String, Object>> lines = stepLines(done, step, roundSteps, throughput, graph);
                step += roundSteps;
                graph = rounds.network();
                boolean last = step >= totalSteps;
                boolean outOfTime = !last && config.maxMinutes() > 0
                        && (System.nanoTime() - started) / 60e9 >= config.maxMinutes();

                if (crossed(step, roundSteps, config.evalEvery()) || last || outOfTime) {
                    lastEval = heldOut.evaluate(graph);
                    lines.add(heldOut.metricsLine(step, lastEval));
                }
                run.appendMetrics(lines);
                throughput.endRound();
                progress.report(step, lines.get(roundSteps - 1), lastEval, throughput);
                if (lines.size() > roundSteps) {
                    run.writeText(RunDirectory.CURVES, Curves.svg(run.readMetrics(), heldOut.baseline(),
                            "sparkbert pretrain: " + run.path().getFileName()));
                }
                if (crossed(step, roundSteps, config.checkpointEvery()) || last || outOfTime) {
                    long writing = System.nanoTime();
                    lastCheckpoint = run.writeCheckpoint(step, graph, info.vocab(), info.uncased(), state(step),
                            config.keepCheckpoints());
                    LOG.info("checkpoint {} ({} s)", lastCheckpoint,
                            String.format(Locale.ROOT, "%.1f", (System.nanoTime() - writing) / 1e9));
                    throughput.endRound();      // the loop's wall time includes the checkpoint (the last one too)
                }
                if (outOfTime) {
                    LOG.info("stopping after {} minutes (--max-minutes) at step {} of {}; rerun the same command to "
                            + "continue", String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 60e9),
                            step, totalSteps);
                    break;
                }
            }
        }
        Summary summary = new Summary(step, totalSteps, step >= totalSteps, start.resumed(), start.step(), lastEval,
                heldOut.baseline(), throughput, lastCheckpoint, epochs.batchedOn());
        run.writeJson(RunDirectory.SUMMARY, summary.toJson());
        return summary;
    }

    /** The separately preprocessed held-out data, or null to hold out a fraction of the training data. */
    private SampleDataset.Info openHeldOutData(List<String> evalDirs, SampleDataset.Info train)
            throws IOException {
        if (evalDirs.isEmpty()) {
            if (config.evalFraction() <= 0) {
                throw new IllegalArgumentException("no held-out data: give --eval-data or an --eval-fraction > 0");
            }
            return null;
        }
        SampleDataset.Info info = SampleDataset.open(evalDirs, sc.hadoopConfiguration());
        if (!info.vocab().sha256().equals(train.vocab().sha256())) {
            throw new IllegalArgumentException("the evaluation data was made with another vocabulary than the "
                    + "training data");
        }
        return info;
    }

    /** The held-out batches (up to evalMaxSamples samples, ordered by content key) and the unigram baseline. */
    private HeldOut heldOut(JavaPairRDD<Long, TrainingSample> samples, UnigramBaseline.TrainingCounts train,
                            SampleDataset.Info info) throws IOException {
        List<SampleBatch> batches = PretrainingData.heldOutBatches(samples, config.evalMaxSamples(),
                config.batchSizePerWorker());
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("the held-out set is empty (too small an --eval-fraction or an empty "
                    + "--eval-data)");
        }
        UnigramBaseline baseline = UnigramBaseline.of(train, batches, info.vocab());
        run.writeJson(RunDirectory.BASELINE, baseline.toJson());
        // in local mode the driver's cores score batches side by side (HeldOut); on a cluster, one thread
        return new HeldOut(batches, baseline.accuracy(), sc.isLocal() ? sc.defaultParallelism() : 1);
    }

    /**
     * One worker trains in the driver; two or more are threads of the driver in local mode and DL4J's
     * parameter-averaging workers on the executors of a cluster.
     */
    private RoundTrainer roundTrainer(ComputationGraph graph) {
        if (config.workers() == 1) {
            int threads = sc.isLocal() ? sc.defaultParallelism() : Runtime.getRuntime().availableProcessors();
            LOG.info("one worker: training in the driver with {} thread(s) per op, no parameter averaging", threads);
            return new DriverRounds(graph, config.seed(), threads);
        }
        if (sc.isLocal()) {
            int threads = Math.max(1, sc.defaultParallelism() / config.workers());
            LOG.info("{} workers in local mode: one thread each in the driver with {} thread(s) per op, parameters "
                    + "and Adam state averaged in memory", config.workers(), threads);
            return new ThreadRounds(graph, config.workers(), config.seed(), threads);
        }
        CollectionAccumulator<StepHook.StepRecord> records = sc.sc().collectionAccumulator("pretrain-steps");
        StepHook hook = new StepHook(config.seed(), records);
        RoundTrainingMaster master = trainingMaster(config, hook);
        SparkComputationGraph sparkGraph = new SparkComputationGraph(sc, graph, master);
        return new SparkRounds(sparkGraph, master, hook, records);
    }

    /**
     * DL4J's trainer for our rounds: exactly the batches we hand it, in our partitions ({@code Direct},
     * {@code Repartition.Never}; a round is exactly one DL4J "split"), Adam state averaged too.
     */
    static RoundTrainingMaster trainingMaster(PretrainConfig config, StepHook hook) {
        return new RoundTrainingMaster(trainingMasterBuilder(config, hook));
    }

    /** DL4J's builder with our settings ({@link #trainingMaster} adds our round handling to what it builds). */
    static ParameterAveragingTrainingMaster.Builder trainingMasterBuilder(PretrainConfig config, StepHook hook) {
        return new ParameterAveragingTrainingMaster.Builder(config.workers(), config.batchSizePerWorker())
                .batchSizePerWorker(config.batchSizePerWorker())
                .averagingFrequency(config.averagingFrequency())
                .workerPrefetchNumBatches(config.prefetch())
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(switch (config.repartition()) {
                    case "always" -> Repartition.Always;
                    case "num-partitions-workers-differs" -> Repartition.NumPartitionsWorkersDiffers;
                    default -> Repartition.Never;
                })
                .storageLevel(StorageLevel.fromString(config.storageLevel()))
                .trainingHooks(hook)
                .rngSeed(config.seed());
    }

    /** The metric lines of one round: per step, the mean over workers of their losses. */
    private List<Map<String, Object>> stepLines(List<StepHook.StepRecord> records, int firstStep, int roundSteps,
                                                Throughput throughput, ComputationGraph graph) {
        // A task Spark ran twice (a retry after a lost executor whose first attempt still reported) reports its
        // steps twice, with the same numbers: each (step, worker) counts once.
        TreeMap<Integer, List<StepHook.StepRecord>> byStep = new TreeMap<>();
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (StepHook.StepRecord r : records) {
            if (seen.add(((long) r.step() << 32) | r.worker())) {
                byStep.computeIfAbsent(r.step(), k -> new ArrayList<>()).add(r);
            }
        }
        if (byStep.size() != roundSteps || byStep.firstKey() != firstStep
                || byStep.values().stream().anyMatch(l -> l.size() != config.workers())) {
            throw new IllegalStateException("round from step " + firstStep + ": expected " + roundSteps + " steps x "
                    + config.workers() + " workers, the workers reported " + records.size() + " steps "
                    + byStep.keySet());
        }
        LinearWarmupDecay schedule = schedule(graph);
        List<Map<String, Object>> lines = new ArrayList<>();
        for (var entry : byStep.entrySet()) {
            List<StepHook.StepRecord> rs = entry.getValue();
            rs.sort((a, b) -> Integer.compare(a.worker(), b.worker()));
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("step", entry.getKey() + 1);
            line.put("lr", schedule == null ? Double.NaN : schedule.valueAt(entry.getKey(), 0));
            line.put("loss", rs.stream().mapToDouble(StepHook.StepRecord::loss).sum() / rs.size());
            line.put("mlm_loss", rs.stream().mapToDouble(StepHook.StepRecord::mlmLoss).sum() / rs.size());
            line.put("nsp_loss", rs.stream().mapToDouble(StepHook.StepRecord::nspLoss).sum() / rs.size());
            // the slowest worker's step: the one the others wait for at the next average
            line.put("step_sec", rs.stream().mapToLong(StepHook.StepRecord::nanos).max().orElse(0) / 1e9);
            line.put("samples_per_sec", throughput.samplesPerSecond());
            line.put("tokens_per_sec", throughput.tokensPerSecond());
            line.put("step_samples_per_sec", throughput.stepSamplesPerSecond());
            line.put("wall_sec", throughput.wallSeconds());
            lines.add(line);
        }
        return lines;
    }

    private static LinearWarmupDecay schedule(ComputationGraph graph) {
        var updater = BertModel.layer(graph).getUpdater();
        if (updater instanceof org.nd4j.linalg.learning.config.Adam adam
                && adam.getLearningRateSchedule() instanceof LinearWarmupDecay s) {
            return s;
        }
        return null;
    }

    private ComputationGraph initialNetwork(ModelSource source, SampleDataset.Info info, int totalSteps)
            throws IOException {
        Optimizer optimizer = Optimizer.adamW(config.learningRate(), config.warmupSteps(), totalSteps, config.beta1(),
                config.beta2(), config.epsilon(), config.weightDecay(), config.clipNorm())
                .withFrozenTokenEmbeddings(source.freezeEmbeddings());
        if (source.preset() != null) {
            BertConfig bert = BertConfig.preset(source.preset(), info.vocab().size());
            ComputationGraph graph = BertModel.build(bert, info.seqLen(), info.maxPredictions(), config.seed(), DTYPE,
                    optimizer);
            if (source.initEmbeddings() != null) {
                initEmbeddings(graph, source.initEmbeddings(), info);
            }
            return graph;
        }
        Checkpoint.Loaded init = Checkpoint.read(source.initCheckpoint());
        if (!init.vocab().sha256().equals(info.vocab().sha256())) {
            throw new IllegalArgumentException("--init " + source.initCheckpoint() + " has another vocab.txt than "
                    + "the training data (" + init.vocab().size() + " vs " + info.vocab().size() + " tokens)");
        }
        ComputationGraph graph = BertModel.build(init.config(), info.seqLen(), info.maxPredictions(), config.seed(),
                DTYPE, optimizer);
        graph.setParams(init.graph().params().castTo(DTYPE));
        if (source.initEmbeddings() != null) {
            initEmbeddings(graph, source.initEmbeddings(), info);
        }
        return graph;
    }

    private void initEmbeddings(ComputationGraph graph, String vectorsPath, SampleDataset.Info info)
            throws IOException {
        GloveEmbeddings.initialise(graph, GloveVectors.read(vectorsPath, sc.hadoopConfiguration()), info.vocab(),
                vectorsPath);
    }

    private ObjectNode describe(List<String> dataDirs, List<String> evalDirs, ModelSource source,
                                SampleDataset.Info info, int totalSteps) {
        ObjectNode d = RunDirectory.JSON.createObjectNode();
        d.put("format", "sparkbert-pretrain-run");
        d.putPOJO("data", dataDirs);
        d.putPOJO("eval_data", evalDirs);
        d.put("model", source.describe());
        d.put("vocab_sha256", info.vocab().sha256());
        d.put("max_seq_length", info.seqLen());
        d.put("max_predictions_per_seq", info.maxPredictions());
        ObjectNode settings = d.putObject("settings");
        config.identity().forEach((k, v) -> settings.putPOJO(k, v));
        settings.put("steps", totalSteps);
        try {   // normalised through its JSON text, as it is compared with the description read from run.json
            return (ObjectNode) RunDirectory.JSON.readTree(RunDirectory.JSON.writeValueAsBytes(d));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private ObjectNode state(int step) {
        ObjectNode s = RunDirectory.JSON.createObjectNode();
        s.put("step", step);
        s.put("next_global_batch", (long) step * config.workers());
        s.put("seed", config.seed());
        s.put("code", "sparkbert");
        ObjectNode settings = s.putObject("settings");
        config.identity().forEach((k, v) -> settings.putPOJO(k, v));
        return s;
    }

    private double readBaseline() throws IOException {
        Path file = run.path().resolve(RunDirectory.BASELINE);
        return java.nio.file.Files.isRegularFile(file)
                ? RunDirectory.JSON.readTree(file.toFile()).path("accuracy").asDouble(Double.NaN) : Double.NaN;
    }

    private static boolean crossed(int step, int roundSteps, int every) {
        return step / every != (step - roundSteps) / every;
    }

    private static int ceilTo(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    /** Where the rounds' batches come from: Spark's cached epochs, or the driver's ({@link DriverEpochs}). */
    private interface Epochs {
        /** The batches of the round that starts at global batch {@code first}. */
        RoundBatches round(long first);

        /** "driver" or "spark", for {@value RunDirectory#SUMMARY}. */
        String batchedOn();

        default void release() {
        }
    }

    /**
     * The cached epochs of batches on Spark; a round reads only their partitions that hold its batches
     * ({@link #covering}), keyed by global batch index. Older epochs are released.
     */
    private final class SparkEpochs implements Epochs {
        private final JavaPairRDD<Long, TrainingSample> train;
        private final long samples;
        private final long batchesPerEpoch;
        private final Broadcast<Masker> masker;
        private final TreeMap<Integer, JavaPairRDD<Long, SampleBatch>> cached = new TreeMap<>();

        SparkEpochs(JavaPairRDD<Long, TrainingSample> train, long samples, long batchesPerEpoch,
                    Broadcast<Masker> masker) {
            this.train = train;
            this.samples = samples;
            this.batchesPerEpoch = batchesPerEpoch;
            this.masker = masker;
        }

        @Override
        public String batchedOn() {
            return "spark";
        }

        @Override
        public RoundBatches round(long first) {
            long end = first + (long) config.workers() * config.averagingFrequency();
            return RoundBatches.onSpark(covering(first, end), first, config.workers(), config.averagingFrequency());
        }

        private JavaPairRDD<Long, SampleBatch> covering(long firstBatch, long endBatch) {
            int firstEpoch = (int) (firstBatch / batchesPerEpoch);
            int lastEpoch = (int) ((endBatch - 1) / batchesPerEpoch);
            while (!cached.isEmpty() && cached.firstKey() < firstEpoch) {
                cached.pollFirstEntry().getValue().unpersist(false);
            }
            JavaPairRDD<Long, SampleBatch> union = null;
            for (int e = firstEpoch; e <= lastEpoch; e++) {
                JavaPairRDD<Long, SampleBatch> epoch = PretrainingData.partitionsHolding(
                        cached.computeIfAbsent(e, this::load), e * batchesPerEpoch, batchesPerEpoch, firstBatch, endBatch);
                union = union == null ? epoch : union.union(epoch);
            }
            return Objects.requireNonNull(union);
        }

        private JavaPairRDD<Long, SampleBatch> load(int epoch) {
            long offset = epoch * batchesPerEpoch;
            LOG.info("epoch {}: shuffling {} samples into {} batches", epoch, samples, batchesPerEpoch);
            return PretrainingData.epochBatches(train, config.seed(), epoch, config.batchSizePerWorker(), samples,
                            masker, PretrainingData.epochPartitions(batchesPerEpoch,
                                    (long) config.workers() * config.averagingFrequency(), train.getNumPartitions(),
                                    config.workers()))
                    .mapToPair(kv -> new Tuple2<>(kv._1 + offset, kv._2))
                    .persist(StorageLevel.fromString(config.storageLevel()));
        }

        @Override
        public void release() {
            cached.values().forEach(r -> r.unpersist(false));
            cached.clear();
        }
    }

    /**
     * The rounds' batches in step order. For the trainers that train in the driver, the next round's batches are
     * collected ({@link RoundBatches#prefetch}) while this one trains, so the Spark job that fetches them (and, at
     * an epoch's first round, shuffles the epoch) does not stand between rounds.
     */
    private final class RoundFeed implements AutoCloseable {
        private final Epochs epochs;
        private final int totalSteps;
        private final ExecutorService prefetch;
        private RoundBatches next;
        private int nextStep = -1;

        RoundFeed(Epochs epochs, int totalSteps, boolean prefetching) {
            this.epochs = epochs;
            this.totalSteps = totalSteps;
            this.prefetch = !prefetching ? null : DriverThreads.single("pretrain-prefetch");
        }

        /** The batches of the round that starts at {@code step}; starts collecting the next round's. */
        RoundBatches take(int step) {
            RoundBatches round = nextStep == step ? next : batches(step);
            next = null;
            nextStep = -1;
            int following = step + config.averagingFrequency();
            if (prefetch != null && following < totalSteps) {
                round.perWorker();  // asking for the next round may release this round's epoch: only once it is here
                next = batches(following);
                nextStep = following;
            }
            return round;
        }

        private RoundBatches batches(int step) {
            RoundBatches round = epochs.round((long) step * config.workers());
            return prefetch == null ? round : round.prefetch(prefetch);
        }

        @Override
        public void close() {
            if (prefetch != null) {
                prefetch.shutdownNow();
            }
        }
    }

    /** Console progress: step, loss, steps/s, ETA; and the latest held-out figures. */
    private static final class Progress {
        private final long start = System.nanoTime();
        private final int firstStep;
        private final int totalSteps;

        Progress(int firstStep, int totalSteps) {
            this.firstStep = firstStep;
            this.totalSteps = totalSteps;
        }

        void report(int step, Map<String, Object> line, Evaluation eval, Throughput throughput) {
            double seconds = (System.nanoTime() - start) / 1e9;
            double stepsPerSecond = (step - firstStep) / seconds;
            double eta = (totalSteps - step) / Math.max(stepsPerSecond, 1e-9);
            String evalText = eval == null ? "" : String.format(Locale.ROOT,
                    " | held-out MLM acc %.4f NSP acc %.4f", eval.mlmAccuracy(), eval.nspAccuracy());
            LOG.info(String.format(Locale.ROOT, "step %d/%d  loss %.4f (mlm %.4f nsp %.4f)  lr %.2e  %.2f steps/s  "
                            + "%.1f samples/s  %.0f tokens/s (wall; %.1f samples/s inside steps)  ETA %s%s", step,
                    totalSteps, (Double) line.get("loss"), (Double) line.get("mlm_loss"), (Double) line.get("nsp_loss"),
                    (Double) line.get("lr"), stepsPerSecond, throughput.samplesPerSecond(),
                    throughput.tokensPerSecond(), throughput.stepSamplesPerSecond(), eta(eta), evalText));
        }

        private static String eta(double seconds) {
            long s = Math.round(seconds);
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
        }
    }
}
