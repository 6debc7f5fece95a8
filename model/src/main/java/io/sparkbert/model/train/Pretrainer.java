package io.sparkbert.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretrainingLayer;
import io.sparkbert.model.Optimizer;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.pipeline.samples.Masker;
import io.sparkbert.pipeline.samples.TrainingSample;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
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
                          Path lastCheckpoint) {
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

    private Summary train(List<String> dataDirs, List<String> evalDirs, ModelSource source) throws IOException {
        PretrainingData.Info info = PretrainingData.open(dataDirs, sc.hadoopConfiguration());
        PretrainingData.Info evalInfo = evalDirs.isEmpty() ? null
                : PretrainingData.open(evalDirs, sc.hadoopConfiguration());
        if (evalInfo != null && !evalInfo.vocab().sha256().equals(info.vocab().sha256())) {
            throw new IllegalArgumentException("the evaluation data was made with another vocabulary than the "
                    + "training data");
        }
        if (evalInfo == null && config.evalFraction() <= 0) {
            throw new IllegalArgumentException("no held-out data: give --eval-data or an --eval-fraction > 0");
        }
        int roundSteps = config.averagingFrequency();
        int totalSteps = ceilTo(config.steps(), roundSteps);
        if (totalSteps != config.steps()) {
            LOG.info("steps {} rounded up to {} (a multiple of the averaging frequency {})", config.steps(),
                    totalSteps, roundSteps);
        }

        ObjectNode description = describe(dataDirs, evalDirs, source, info, totalSteps);
        JsonNode recorded = run.runDescription().orElse(null);
        if (recorded != null && !recorded.equals(description)) {
            throw new IllegalArgumentException("run directory " + run.path() + " holds a different run: it was "
                    + "started with " + recorded + " but this command asks for " + description
                    + "; choose a new --output, or delete the directory to start over");
        }

        // the network: resumed, or fresh from a preset / an init checkpoint
        ComputationGraph graph;
        int step = 0;
        boolean resumed = false;
        Path latest = run.latestCheckpoint().orElse(null);
        if (latest != null) {
            ObjectNode state = RunDirectory.readState(latest);
            step = state.path("step").asInt();
            graph = Checkpoint.read(latest).graph();
            resumed = true;
            run.truncateMetrics(step);
            if (step >= totalSteps) {
                LOG.info("run {} already finished at step {}; nothing to do", run.path(), step);
                return new Summary(step, totalSteps, true, true, step, null, readBaseline(), new Throughput(),
                        latest);
            }
            LOG.info("resuming {} from {} (step {} of {})", run.path(), latest.getFileName(), step, totalSteps);
        } else {
            graph = initialNetwork(source, info, totalSteps);
            run.writeRunDescription(description);
            run.truncateMetrics(0);
        }
        int resumedStep = step;
        BertPretrainingLayer layer = BertModel.layer(graph);
        if (layer.seqLen() != info.seqLen() || layer.maxPredictions() != info.maxPredictions()) {
            throw new IllegalStateException("the network takes " + layer.seqLen() + " tokens / " + layer.maxPredictions()
                    + " predictions but the data has " + info.seqLen() + " / " + info.maxPredictions());
        }

        // data: training samples (cached), held-out batches on the driver, the unigram baseline
        StorageLevel storage = StorageLevel.fromString(config.storageLevel());
        JavaPairRDD<Long, TrainingSample> all = PretrainingData.read(spark, info);
        double fraction = config.evalFraction();
        long seed = config.seed();
        JavaPairRDD<Long, TrainingSample> train = (evalInfo == null
                ? all.filter(kv -> !PretrainingData.isHeldOut(kv._2, fraction, seed)) : all).persist(storage);
        JavaPairRDD<Long, TrainingSample> heldOut = evalInfo == null
                ? all.filter(kv -> PretrainingData.isHeldOut(kv._2, fraction, seed))
                : PretrainingData.read(spark, evalInfo);
        long trainSamples = train.count();
        List<SampleBatch> evalBatches = evalBatches(heldOut);
        double baseline = unigramBaseline(train, evalBatches, info.vocab());
        long batchesPerEpoch = trainSamples / config.batchSizePerWorker();
        long batchesPerRound = (long) config.workers() * roundSteps;
        if (batchesPerEpoch < batchesPerRound) {
            throw new IllegalArgumentException("too little training data: " + trainSamples + " samples make "
                    + batchesPerEpoch + " batches of " + config.batchSizePerWorker() + ", fewer than one round needs ("
                    + config.workers() + " workers x " + roundSteps + " steps)");
        }
        LOG.info("training data: {} samples ({} batches of {} per epoch), held out: {} samples in {} batches; "
                        + "unigram MLM baseline {}", trainSamples, batchesPerEpoch, config.batchSizePerWorker(),
                evalBatches.stream().mapToInt(SampleBatch::size).sum(), evalBatches.size(),
                String.format(Locale.ROOT, "%.4f", baseline));

        Broadcast<Masker> masker = config.dynamicMasking() ? sc.broadcast(PretrainingData.masker(info)) : null;
        RoundTrainer rounds = roundTrainer(graph);
        EpochCache epochs = new EpochCache(train, trainSamples, batchesPerEpoch, masker);
        Progress progress = new Progress(step, totalSteps);
        Evaluation lastEval = null;
        BertInference evalModel = null;
        Path lastCheckpoint = latest;
        Throughput throughput = new Throughput();
        long started = System.nanoTime();
        boolean stoppedByTime = false;
        while (step < totalSteps) {
            long first = (long) step * config.workers();
            JavaRDD<SampleBatch> round = PretrainingData.round(epochs.covering(first, first + batchesPerRound), first,
                    config.workers(), roundSteps);
            List<StepHook.StepRecord> done = rounds.train(step, round);
            throughput.add(done);
            List<Map<String, Object>> lines = stepLines(done, step, roundSteps, throughput, graph);
            step += roundSteps;
            graph = rounds.network();
            boolean last = step >= totalSteps;
            stoppedByTime = !last && config.maxMinutes() > 0
                    && (System.nanoTime() - started) / 60e9 >= config.maxMinutes();
            if (crossed(step, roundSteps, config.evalEvery()) || last || stoppedByTime) {
                if (evalModel == null) {
                    evalModel = new BertInference(graph);
                } else {
                    evalModel.load(graph);
                }
                lastEval = Evaluation.run(evalModel, evalBatches);
                Map<String, Object> evalLine = new LinkedHashMap<>();
                evalLine.put("step", step);
                evalLine.put("eval_mlm_loss", lastEval.mlmLoss());
                evalLine.put("eval_mlm_accuracy", lastEval.mlmAccuracy());
                evalLine.put("eval_nsp_loss", lastEval.nspLoss());
                evalLine.put("eval_nsp_accuracy", lastEval.nspAccuracy());
                evalLine.put("unigram_baseline_accuracy", baseline);
                lines.add(evalLine);
            }
            run.appendMetrics(lines);
            throughput.endRound();
            progress.report(step, lines.get(roundSteps - 1), lastEval, throughput);
            if (lastEval != null && lines.size() > roundSteps) {
                run.writeText(RunDirectory.CURVES, Curves.svg(run.readMetrics(), baseline,
                        "sparkbert pretrain: " + run.path().getFileName()));
            }
            if (crossed(step, roundSteps, config.checkpointEvery()) || last || stoppedByTime) {
                lastCheckpoint = run.writeCheckpoint(step, graph, info.vocab(), info.uncased(), state(step),
                        config.keepCheckpoints());
                LOG.info("checkpoint {}", lastCheckpoint);
            }
            if (stoppedByTime) {
                LOG.info("stopping after {} minutes (--max-minutes) at step {} of {}; rerun the same command to "
                        + "continue", String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 60e9),
                        step, totalSteps);
                break;
            }
        }
        rounds.close();
        epochs.release();
        train.unpersist();
        return new Summary(step, totalSteps, step >= totalSteps, resumed, resumedStep, lastEval, baseline,
                throughput, lastCheckpoint);
    }

    /** One worker trains in the driver; two or more are DL4J's parameter-averaging workers on Spark. */
    private RoundTrainer roundTrainer(ComputationGraph graph) {
        if (config.workers() == 1) {
            int threads = sc.isLocal() ? sc.defaultParallelism() : Runtime.getRuntime().availableProcessors();
            LOG.info("one worker: training in the driver with {} thread(s) per op, no parameter averaging", threads);
            return new DriverRounds(graph, config.seed(), threads);
        }
        CollectionAccumulator<StepHook.StepRecord> records = sc.sc().collectionAccumulator("pretrain-steps");
        StepHook hook = new StepHook(config.seed(), records);
        RoundTrainingMaster master = trainingMaster(config, hook);
        SparkComputationGraph sparkGraph = new SparkComputationGraph(sc, graph, master);
        int localWorkerThreads = sc.isLocal()
                ? Math.max(1, Runtime.getRuntime().availableProcessors() / config.workers()) : 0;
        return new SparkRounds(sparkGraph, master, hook, records, localWorkerThreads);
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

    private ComputationGraph initialNetwork(ModelSource source, PretrainingData.Info info, int totalSteps)
            throws IOException {
        Optimizer optimizer = Optimizer.adamW(config.learningRate(), config.warmupSteps(), totalSteps, config.beta1(),
                config.beta2(), config.epsilon(), config.weightDecay(), config.clipNorm())
                .withFrozenTokenEmbeddings(source.freezeEmbeddings());
        if (source.preset() != null) {
            BertConfig bert = BertConfig.preset(source.preset(), info.vocab().size());
            ComputationGraph graph = BertModel.build(bert, info.seqLen(), info.maxPredictions(), config.seed(), DTYPE,
                    optimizer);
            if (source.initEmbeddings() != null) {
                initEmbeddings(graph, source.initEmbeddings(), info.vocab());
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
            initEmbeddings(graph, source.initEmbeddings(), info.vocab());
        }
        return graph;
    }

    /**
     * Sets the token-embedding rows of the vocabulary's tokens that have a GloVe vector to that vector's
     * direction, scaled to the norm a row of BERT's initialisation has on average (initializerRange · √H), so
     * LayerNorm and the tied decoder see the scale they were designed for. Other rows keep their values.
     * With {@code cooccur --tokens wordpiece} the GloVe vocabulary is the wordpiece vocabulary itself.
     */
    private void initEmbeddings(ComputationGraph graph, String vectorsPath,
                                io.sparkbert.pipeline.tokenizer.Vocab vocab) throws IOException {
        io.sparkbert.pipeline.glove.Neighbors vectors = io.sparkbert.pipeline.glove.Neighbors.read(vectorsPath,
                sc.hadoopConfiguration());
        BertConfig bert = BertModel.layer(graph).bertConfig();
        if (vectors.dim() != bert.hiddenSize()) {
            throw new IllegalArgumentException("--init-embeddings " + vectorsPath + " has " + vectors.dim()
                    + "-dimensional vectors but the model's hidden size is " + bert.hiddenSize()
                    + " (train GloVe with --dim " + bert.hiddenSize() + ")");
        }
        INDArray table = graph.getParam(BertModel.LAYER + "_" + BertPretrainingLayer.TOKEN_TABLE);
        double norm = bert.initializerRange() * Math.sqrt(bert.hiddenSize());
        int covered = 0;
        for (int id = 0; id < vocab.size(); id++) {
            double[] v = vectors.unitVector(vocab.token(id));
            if (v != null) {
                for (int j = 0; j < v.length; j++) {
                    table.putScalar(id, j, v[j] * norm);
                }
                covered++;
            }
        }
        LOG.info("--init-embeddings: {} of {} vocabulary tokens have a GloVe vector ({}); the rest keep their "
                + "random initialisation", covered, vocab.size(), vectorsPath);
        if (covered == 0) {
            throw new IllegalArgumentException("no token of the vocabulary has a vector in " + vectorsPath);
        }
    }

    private ObjectNode describe(List<String> dataDirs, List<String> evalDirs, ModelSource source,
                                PretrainingData.Info info, int totalSteps) {
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

    /** Held-out batches on the driver: up to evalMaxSamples samples, ordered by content key. */
    private List<SampleBatch> evalBatches(JavaPairRDD<Long, TrainingSample> heldOut) {
        List<Tuple2<Long, TrainingSample>> taken = heldOut.sortByKey().take(config.evalMaxSamples());
        if (taken.isEmpty()) {
            throw new IllegalArgumentException("the held-out set is empty (too small an --eval-fraction or an empty "
                    + "--eval-data)");
        }
        List<SampleBatch> batches = new ArrayList<>();
        int b = config.batchSizePerWorker();
        for (int i = 0; i < taken.size(); i += b) {
            List<TrainingSample> members = new ArrayList<>();
            for (int j = i; j < Math.min(taken.size(), i + b); j++) {
                members.add(taken.get(j)._2);
            }
            batches.add(SampleBatch.of(members));
        }
        return batches;
    }

    /** The most frequent masked token of the training data and its accuracy on the held-out batches. */
    private double unigramBaseline(JavaPairRDD<Long, TrainingSample> train, List<SampleBatch> evalBatches,
                                   io.sparkbert.pipeline.tokenizer.Vocab vocab) throws IOException {
        Tuple2<Integer, Double> top = train.values()
                .flatMapToPair(s -> {
                    List<Tuple2<Integer, Double>> out = new ArrayList<>();
                    for (int i = 0; i < s.maskedLmIds().length; i++) {
                        if (s.maskedLmWeights()[i] > 0) {
                            out.add(new Tuple2<>(s.maskedLmIds()[i], (double) s.maskedLmWeights()[i]));
                        }
                    }
                    return out.iterator();
                })
                .reduceByKey(Double::sum)
                .max(new TopTokenOrder());
        double accuracy = Evaluation.constantPredictionAccuracy(evalBatches, top._1);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("token_id", top._1);
        json.put("token", vocab.token(top._1));
        json.put("training_weight", top._2);
        json.put("accuracy", accuracy);
        json.put("eval_samples", evalBatches.stream().mapToInt(SampleBatch::size).sum());
        run.writeJson(RunDirectory.BASELINE, json);
        return accuracy;
    }

    /** Highest count first; ties to the lower id (deterministic). */
    static final class TopTokenOrder implements java.util.Comparator<Tuple2<Integer, Double>>, java.io.Serializable {
        @Override
        public int compare(Tuple2<Integer, Double> a, Tuple2<Integer, Double> b) {
            int c = Double.compare(a._2, b._2);
            return c != 0 ? c : Integer.compare(b._1, a._1);
        }
    }

    private static boolean crossed(int step, int roundSteps, int every) {
        return step / every != (step - roundSteps) / every;
    }

    private static int ceilTo(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    /** The batches of the epochs a round needs, keyed by global batch index; older epochs are released. */
    private final class EpochCache {
        private final JavaPairRDD<Long, TrainingSample> train;
        private final long samples;
        private final long batchesPerEpoch;
        private final Broadcast<Masker> masker;
        private final TreeMap<Integer, JavaPairRDD<Long, SampleBatch>> cached = new TreeMap<>();

        EpochCache(JavaPairRDD<Long, TrainingSample> train, long samples, long batchesPerEpoch,
                   Broadcast<Masker> masker) {
            this.train = train;
            this.samples = samples;
            this.batchesPerEpoch = batchesPerEpoch;
            this.masker = masker;
        }

        JavaPairRDD<Long, SampleBatch> covering(long firstBatch, long endBatch) {
            int firstEpoch = (int) (firstBatch / batchesPerEpoch);
            int lastEpoch = (int) ((endBatch - 1) / batchesPerEpoch);
            while (!cached.isEmpty() && cached.firstKey() < firstEpoch) {
                cached.pollFirstEntry().getValue().unpersist(false);
            }
            JavaPairRDD<Long, SampleBatch> union = null;
            for (int e = firstEpoch; e <= lastEpoch; e++) {
                JavaPairRDD<Long, SampleBatch> epoch = cached.computeIfAbsent(e, this::load);
                union = union == null ? epoch : union.union(epoch);
            }
            return Objects.requireNonNull(union);
        }

        private JavaPairRDD<Long, SampleBatch> load(int epoch) {
            long offset = epoch * batchesPerEpoch;
            LOG.info("epoch {}: shuffling {} samples into {} batches", epoch, samples, batchesPerEpoch);
            return PretrainingData.epochBatches(train, config.seed(), epoch, config.batchSizePerWorker(), samples,
                            masker, Math.max(config.workers(), train.getNumPartitions()))
                    .mapToPair(kv -> new Tuple2<>(kv._1 + offset, kv._2))
                    .persist(StorageLevel.fromString(config.storageLevel()));
        }

        void release() {
            cached.values().forEach(r -> r.unpersist(false));
            cached.clear();
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
