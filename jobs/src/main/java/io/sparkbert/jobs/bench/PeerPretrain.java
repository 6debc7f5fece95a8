package io.sparkbert.jobs.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.train.Evaluation;
import io.sparkbert.model.train.LinearWarmupDecay;
import io.sparkbert.model.train.SampleBatch;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The pretraining peer of {@code bench pretrain}, run as a child process: the same BERT ({@link TorchBert}), the
 * same optimizer ({@link TorchAdamW}) and the same batches ({@link PeerData}) as {@code sparkbert pretrain
 * --workers 1}, in DJL on PyTorch (CPU, natives from the jars; run with {@code -Dai.djl.offline=true}).
 *
 * <pre>
 * java [java17 opens] -Dai.djl.offline=true -cp CLASSPATH io.sparkbert.jobs.bench.PeerPretrain \
 *   --data DIR[,DIR] --output DIR [--eval-data DIR[,DIR] | --eval-fraction F] [--preset mini | --init model.safetensors]
 *   --steps N --batch-size B --threads T [--learning-rate --warmup-steps --beta1 --beta2 --epsilon --weight-decay
 *   --clip-norm --seed --eval-every --checkpoint-every --eval-max-samples]
 * writes OUTPUT/metrics.jsonl (our line shapes), OUTPUT/checkpoints/, OUTPUT/summary.json, and the summary on stdout
 * </pre>
 *
 * Times: {@code train_loop_seconds} from the start of the first step to the end of the last (evaluations and
 * checkpoints included), {@code step_seconds_total} only forward + backward + update (their sum;
 * {@code step_seconds} lists them), {@code step_cpu_seconds_total} / {@code step_cpu_seconds} the process CPU
 * time of the same intervals (all threads: a contended host shows as wall time above CPU time),
 * {@code eval_seconds}, {@code checkpoint_seconds}, {@code data_seconds} (Spark reading the batches, before the
 * loop), {@code process_seconds} (JVM start to summary), {@code process_cpu_seconds}, {@code peak_rss_mb}.
 */
@Command(name = "peer-pretrain", mixinStandardHelpOptions = true,
        description = "BERT MLM+NSP pretraining in DJL/PyTorch on sparkbert's samples (the peer of bench pretrain).")
public final class PeerPretrain implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--data", required = true, split = ",", paramLabel = "DIR[,DIR...]",
            description = "Preprocessed training datasets (as `pretrain --data`).")
    List<String> data;
    @Option(names = "--eval-data", split = ",", paramLabel = "DIR[,DIR...]", description = "Held-out datasets.")
    List<String> evalData = new ArrayList<>();
    @Option(names = "--eval-fraction", defaultValue = "0.01", description = "Held-out share when no --eval-data.")
    double evalFraction;
    @Option(names = "--eval-max-samples", defaultValue = "1024", description = "Held-out samples per evaluation.")
    int evalMaxSamples;
    @Option(names = "--output", required = true, description = "Directory for metrics.jsonl, checkpoints, summary.json.")
    Path output;
    @Option(names = "--preset", defaultValue = "mini", description = "Model preset (conf/model), fresh initialisation.")
    String preset;
    @Option(names = "--init", paramLabel = "MODEL_SAFETENSORS",
            description = "Start from this HF model.safetensors (our export) instead of a fresh initialisation.")
    Path init;
    @Option(names = "--steps", required = true, description = "Optimizer steps (also the schedule's total).")
    int steps;
    @Option(names = "--batch-size", defaultValue = "32", description = "Samples per step.")
    int batchSize;
    @Option(names = "--threads", defaultValue = "1", description = "PyTorch intra-op threads (inter-op: 1).")
    int threads;
    @Option(names = "--learning-rate", defaultValue = "1e-4")
    double learningRate;
    @Option(names = "--warmup-steps", defaultValue = "1000")
    int warmupSteps;
    @Option(names = "--beta1", defaultValue = "0.9")
    double beta1;
    @Option(names = "--beta2", defaultValue = "0.999")
    double beta2;
    @Option(names = "--epsilon", defaultValue = "1e-6")
    double epsilon;
    @Option(names = "--weight-decay", defaultValue = "0.01")
    double weightDecay;
    @Option(names = "--clip-norm", defaultValue = "1.0")
    double clipNorm;
    @Option(names = "--seed", defaultValue = "12345", description = "Data order, held-out split, initialisation.")
    long seed;
    @Option(names = "--eval-every", defaultValue = "500")
    int evalEvery;
    @Option(names = "--checkpoint-every", defaultValue = "1000")
    int checkpointEvery;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PeerPretrain()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        PeerData d = PeerData.read(data, evalData, evalFraction, evalMaxSamples, seed, batchSize, steps);
        double dataSeconds = (System.nanoTime() - t0) / 1e9;
        BertConfig cfg = BertConfig.preset(preset, d.vocabSize());

        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine engine = Engine.getEngine("PyTorch");
        engine.setRandomSeed((int) seed);
        Files.createDirectories(output);
        Path metrics = output.resolve("metrics.jsonl");
        Map<String, Object> summary = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(engine.getEngineName());
             TorchBert model = init != null ? TorchBert.load(manager, cfg, init) : TorchBert.create(manager, cfg, seed);
             TorchAdamW adam = new TorchAdamW(manager, model.params(),
                     new LinearWarmupDecay(learningRate, warmupSteps, steps), beta1, beta2, epsilon, weightDecay,
                     clipNorm);
             BufferedWriter out = Files.newBufferedWriter(metrics, StandardCharsets.UTF_8)) {
            double[] stepSeconds = new double[steps];
            double[] stepCpuSeconds = new double[steps];
            double evalSeconds = 0;
            double checkpointSeconds = 0;
            Evaluation last = null;
            Path checkpoint = null;
            double loss = Double.NaN;
            long loopStart = System.nanoTime();
            for (int t = 0; t < steps; t++) {
                SampleBatch batch = d.train().get(t);
                long s0 = System.nanoTime();
                long c0 = cpuNanos();
                double mlm;
                double nsp;
                try (NDScope scope = new NDScope()) {
                    NDArray[] in = TorchBert.inputs(manager, batch);
                    TorchBert.Output o;
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        o = model.forward(in, true);
                        gc.backward(o.loss());
                    }
                    adam.step(model.params(), t);
                    mlm = o.mlmLoss().getFloat();
                    nsp = o.nspLoss().getFloat();
                }
                stepSeconds[t] = (System.nanoTime() - s0) / 1e9;
                stepCpuSeconds[t] = (cpuNanos() - c0) / 1e9;
                loss = mlm + nsp;
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("step", t + 1);
                line.put("lr", adam.learningRate(t));
                line.put("loss", loss);
                line.put("mlm_loss", mlm);
                line.put("nsp_loss", nsp);
                line.put("samples_per_sec", batch.size() / stepSeconds[t]);
                line.put("tokens_per_sec", batch.tokens() / stepSeconds[t]);
                writeLine(out, line);
                int step = t + 1;
                if (step % evalEvery == 0 || step == steps) {
                    long e0 = System.nanoTime();
                    last = evaluate(manager, model, d.eval());
                    evalSeconds += (System.nanoTime() - e0) / 1e9;
                    writeLine(out, last.metricsLine(step));
                }
                if (step % checkpointEvery == 0 || step == steps) {
                    long k0 = System.nanoTime();
                    checkpoint = PeerCheckpoint.write(output.resolve("checkpoints"), step, model, adam, checkpoint);
                    checkpointSeconds += (System.nanoTime() - k0) / 1e9;
                }
            }
            double loopSeconds = (System.nanoTime() - loopStart) / 1e9;
            double stepTotal = java.util.Arrays.stream(stepSeconds).sum();
            double stepCpuTotal = java.util.Arrays.stream(stepCpuSeconds).sum();
            summary.put("peer", "djl-pytorch");
            summary.put("engine_version", engine.getVersion());
            summary.put("threads", threads);
            summary.put("interop_threads", 1);
            summary.put("steps", steps);
            summary.put("batch_size", batchSize);
            summary.put("samples", (long) steps * batchSize);
            summary.put("seq_len", d.seqLen());
            summary.put("max_predictions", d.maxPredictions());
            summary.put("vocab_size", d.vocabSize());
            summary.put("train_samples", d.trainSamples());
            summary.put("data_seconds", dataSeconds);
            summary.put("train_loop_seconds", loopSeconds);
            summary.put("step_seconds_total", stepTotal);
            summary.put("step_cpu_seconds_total", stepCpuTotal);
            summary.put("eval_seconds", evalSeconds);
            summary.put("checkpoint_seconds", checkpointSeconds);
            summary.put("samples_per_sec_in_steps", steps * (double) batchSize / stepTotal);
            summary.put("final_loss", loss);
            if (last != null) {
                summary.put("eval_mlm_accuracy", last.mlmAccuracy());
                summary.put("eval_nsp_accuracy", last.nspAccuracy());
                summary.put("eval_mlm_loss", last.mlmLoss());
                summary.put("eval_nsp_loss", last.nspLoss());
            }
            summary.put("checkpoint", checkpoint == null ? null : checkpoint.getFileName().toString());
            summary.put("step_seconds", stepSeconds);
            summary.put("step_cpu_seconds", stepCpuSeconds);
        }
        summary.put("process_seconds",
                (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1e3);
        summary.put("process_cpu_seconds", cpuNanos() / 1e9);
        summary.put("peak_rss_mb", peakRssMb());
        JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(output.resolve("summary.json").toFile(), summary);
        System.out.println(JSON.writeValueAsString(summary));
        return 0;
    }

    /** Held-out figures as {@link Evaluation} defines them, from the dropout-free forward pass. */
    static Evaluation evaluate(NDManager manager, TorchBert model, List<SampleBatch> batches) {
        Evaluation.Sums sums = new Evaluation.Sums();
        for (SampleBatch batch : batches) {
            try (NDScope scope = new NDScope()) {
                NDArray[] in = TorchBert.inputs(manager, batch);
                TorchBert.Output o = model.forward(in, false);
                long rows = o.mlmLogits().getShape().get(0);
                NDArray logProbs = o.mlmLogits().logSoftmax(1);
                float[] nll = logProbs.gather(in[4].reshape(rows, 1), 1).reshape(-1).neg().toFloatArray();
                long[] argmax = o.mlmLogits().argMax(1).toLongArray();
                float[] nspLogits = o.nspLogits().toFloatArray();
                int p = batch.maskedLmIds()[0].length;
                for (int b = 0; b < batch.size(); b++) {
                    for (int i = 0; i < p; i++) {
                        double w = batch.maskedLmWeights()[b][i];
                        if (w != 0) {
                            sums.addPrediction(w, nll[b * p + i], argmax[b * p + i] == batch.maskedLmIds()[b][i]);
                        }
                    }
                    sums.addPair(nspLogits[2 * b], nspLogits[2 * b + 1], batch.nextSentenceLabel()[b]);
                }
            }
        }
        return sums.result();
    }

    private static void writeLine(BufferedWriter out, Map<String, Object> line) throws IOException {
        out.write(JSON.writeValueAsString(line));
        out.newLine();
        out.flush();
    }

    /** CPU time of the whole process (all threads), ns; -1 where the JVM cannot tell. */
    static long cpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /** VmHWM of /proc/self/status in MB, or -1 where there is none. */
    static double peakRssMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
