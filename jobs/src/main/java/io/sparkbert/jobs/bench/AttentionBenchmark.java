package io.sparkbert.jobs.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretraining;
import io.sparkbert.model.SelfAttention;

/**
 * Float32 CPU benchmark, one JVM, one run (the {@code bench attention} command):
 *
 * <ol>
 *   <li>ND4J's sgemm peak: an n×n×n float matmul, warm-up then median → GFLOP/s;</li>
 *   <li>forward + backward of our {@link SelfAttention} vs SameDiff's stock
 *       {@code nn().multiHeadDotProductAttention} on the same shapes (loss = sum of the outputs,
 *       {@code calculateGradients} for the parameters and the input) → ms/step each, ratio;</li>
 *   <li>one full training step of a BERT ({@link BertModel#build} + {@code graph.fit(MultiDataSet)}) with
 *       random valid inputs → ms/step, tokens/s, and FLOPs per step as a fraction of the sgemm peak, with
 *       one sgemm timed right before every step (see {@link StepResult} for the two FLOP counts);</li>
 *   <li>where the time of one step goes: per SameDiff op type.</li>
 * </ol>
 *
 * Sizes (all optional, {@code key=value} of {@code bench attention}): {@code batch=32 seq=128 hidden=256 heads=4 layers=4
 * intermediate=1024 vocab=30522 predictions=20 gemm=2048 reps=5 attReps=9 steps=3 stepBatch=batch}.
 * Prints results, asserts nothing.
 * The public methods are also run with tiny sizes by AttentionBenchmarkTest so that they cannot rot.
 */
public final class AttentionBenchmark {

    /**
     * Result of the BERT training-step measurement. Two FLOP counts per step: {@code modelFlops} is the
     * issue's definition, 6·params·tokens + attention (12·L·B·S²·H), which counts the token table as if
     * every token multiplied it; {@code executedFlops} counts what a lookup-based BERT computes: 6·(params
     * minus the token and position tables)·tokens + the tied decoder's 6·V·H per predicted position +
     * attention (the lookups themselves are copies, no FLOPs).
     * {@code fractionOfPeak} is the median over steps of (modelFlops / step time) / (sgemm GFLOP/s measured
     * right before that step): the machine's speed may drift between measurements, a ratio of neighbours
     * does not.
     */
    public record StepResult(double msPerStep, long params, long tokensPerStep, double modelFlopsPerStep,
                             double executedFlopsPerStep, double peakGflops, double fractionOfPeak) {
        public double tokensPerSecond() {
            return tokensPerStep / (msPerStep / 1000.0);
        }

        public double modelGflopsPerSecond() {
            return modelFlopsPerStep / (msPerStep / 1000.0) / 1e9;
        }

        /** The fraction of the peak in executed FLOPs (same ratio, the smaller count). */
        public double executedFractionOfPeak() {
            return fractionOfPeak * executedFlopsPerStep / modelFlopsPerStep;
        }
    }

    private AttentionBenchmark() {
    }

    /** Median of {@code reps} timings (ms) of {@code body} after {@code warmup} untimed runs. */
    public static double medianMs(int warmup, int reps, Runnable body) {
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return Median.of(ms);
    }

    /** GFLOP/s of an n×n×n float matmul (2n³ flops), median of {@code reps} after one warm-up. */
    public static double sgemmGflops(int n, int reps) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        double ms = medianMs(1, reps, () -> a.mmuli(b, c));
        return 2.0 * n * n * (double) n / (ms / 1000.0) / 1e9;
    }

    /** ms of an [m, k]×[k, n] float matmul (median of {@code reps} after one warm-up). */
    public static double matmulMs(long m, long k, long n, int reps) {
        INDArray a = Nd4j.rand(DataType.FLOAT, m, k);
        INDArray b = Nd4j.rand(DataType.FLOAT, k, n);
        INDArray c = Nd4j.create(DataType.FLOAT, m, n);
        return medianMs(1, reps, () -> a.mmuli(b, c));
    }

    /**
     * ms per forward+backward step of our SelfAttention (no mask, no dropout): x [B, S, H] is a variable,
     * gradients of the eight parameters and of x.
     */
    public static double ourAttentionMs(int batch, int seq, int hidden, int heads, int warmup, int reps) {
        return medianMs(warmup, reps, ourAttentionStep(batch, seq, hidden, heads));
    }

    /** One forward+backward step of our SelfAttention as a Runnable (graph built once). */
    public static Runnable ourAttentionStep(int batch, int seq, int hidden, int heads) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", Nd4j.rand(DataType.FLOAT, batch, seq, hidden));
        SelfAttention.Params p = SelfAttention.createParams(sd, "att", hidden, 0.02, DataType.FLOAT, new Random(1));
        SDVariable out = SelfAttention.apply(sd, x, null, p, heads, seq, 0.0, false);
        sd.setLossVariables(out.sum());
        String[] grads = sd.variables().stream().filter(v -> v.getVariableType()
                == VariableType.VARIABLE).map(SDVariable::name).toArray(String[]::new);
        Map<String, INDArray> none = new HashMap<>();
        return () -> sd.calculateGradients(none, grads);
    }

    /**
     * ms per forward+backward step of SameDiff's stock multiHeadDotProductAttention (scaled, no mask) on
     * the same work: x [B, H, S] (the op's channels-first layout) as queries, keys and values, Wq/Wk/Wv
     * [A, H/A, H], Wo [H, H] (no biases); gradients of the four weights and of x.
     */
    public static double stockAttentionMs(int batch, int seq, int hidden, int heads, int warmup, int reps) {
        return medianMs(warmup, reps, stockAttentionStep(batch, seq, hidden, heads));
    }

    /** One forward+backward step of the stock op as a Runnable (graph built once). */
    public static Runnable stockAttentionStep(int batch, int seq, int hidden, int heads) {
        SameDiff sd = SameDiff.create();
        int dk = hidden / heads;
        SDVariable x = sd.var("x", Nd4j.rand(DataType.FLOAT, batch, hidden, seq));
        SDVariable wq = sd.var("wq", Nd4j.randn(DataType.FLOAT, heads, dk, hidden).muli(0.02));
        SDVariable wk = sd.var("wk", Nd4j.randn(DataType.FLOAT, heads, dk, hidden).muli(0.02));
        SDVariable wv = sd.var("wv", Nd4j.randn(DataType.FLOAT, heads, dk, hidden).muli(0.02));
        SDVariable wo = sd.var("wo", Nd4j.randn(DataType.FLOAT, heads * dk, hidden).muli(0.02));
        SDVariable out = sd.nn().multiHeadDotProductAttention(x, x, x, wq, wk, wv, wo, null, true);
        sd.setLossVariables(out.sum());
        Map<String, INDArray> none = new HashMap<>();
        return () -> sd.calculateGradients(none, "x", "wq", "wk", "wv", "wo");
    }

    /**
     * Median ms of two steps measured alternately (a, b, a, b, ...) after {@code warmup} runs of each, so
     * that a changing machine load hits both alike.
     */
    public static double[] interleavedMedianMs(int warmup, int reps, Runnable a, Runnable b) {
        for (int i = 0; i < warmup; i++) {
            a.run();
            b.run();
        }
        double[] ta = new double[reps];
        double[] tb = new double[reps];
        for (int i = 0; i < reps; i++) {
            ta[i] = medianMs(0, 1, a);
            tb[i] = medianMs(0, 1, b);
        }
        Arrays.sort(ta);
        Arrays.sort(tb);
        return new double[] {ta[reps / 2], tb[reps / 2]};
    }

    /** A batch of random valid pretraining inputs (no padding, distinct masked positions). */
    public static MultiDataSet randomBatch(BertConfig cfg, int batch, int seq, int predictions, long seed) {
        Random r = new Random(seed);
        int[][] ids = new int[batch][seq];
        int[][] types = new int[batch][seq];
        int[][] mask = new int[batch][seq];
        int[][] positions = new int[batch][predictions];
        int[][] lmIds = new int[batch][predictions];
        float[][] lmWeights = new float[batch][predictions];
        int[] nsp = new int[batch];
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < seq; s++) {
                ids[b][s] = r.nextInt(cfg.vocabSize());
                types[b][s] = s < seq / 2 ? 0 : 1;
                mask[b][s] = 1;
            }
            int[] perm = r.ints(0, seq).distinct().limit(Math.min(predictions, seq)).toArray();
            for (int k = 0; k < predictions; k++) {
                positions[b][k] = k < perm.length ? perm[k] : 0;
                lmIds[b][k] = r.nextInt(cfg.vocabSize());
                lmWeights[b][k] = k < perm.length ? 1f : 0f;
            }
            nsp[b] = r.nextInt(2);
        }
        return BertModel.toMultiDataSet(ids, types, mask, positions, lmIds, lmWeights, nsp, DataType.FLOAT);
    }

    /**
     * ms per {@code graph.fit(batch)} of a float BERT (Adam), median of {@code reps} after {@code warmup}; each
     * timed step is preceded by one timed n×n×n sgemm ({@code gemm}), see {@link StepResult}.
     */
    public static StepResult bertTrainingStep(BertConfig cfg, int batch, int seq, int predictions, int warmup,
                                              int reps, int gemm) {
        ComputationGraph graph = BertModel.build(cfg, seq, predictions, 42);
        MultiDataSet data = randomBatch(cfg, batch, seq, predictions, 7);
        long params = graph.numParams();
        long tokens = (long) batch * seq;
        double attention = 12.0 * cfg.numHiddenLayers() * batch * (double) seq * seq * cfg.hiddenSize();
        double flops = 6.0 * params * tokens + attention;
        long tables = (long) (cfg.vocabSize() + cfg.maxPositionEmbeddings()) * cfg.hiddenSize();
        double executed = 6.0 * (params - tables) * tokens
                + 6.0 * cfg.vocabSize() * cfg.hiddenSize() * batch * (double) predictions + attention;

        INDArray a = Nd4j.rand(DataType.FLOAT, gemm, gemm);
        INDArray b = Nd4j.rand(DataType.FLOAT, gemm, gemm);
        INDArray c = Nd4j.create(DataType.FLOAT, gemm, gemm);
        double gemmFlops = 2.0 * gemm * gemm * (double) gemm;
        for (int i = 0; i < warmup; i++) {
            a.mmuli(b, c);
            graph.fit(data);
        }
        double[] stepMs = new double[reps];
        double[] peak = new double[reps];
        double[] fraction = new double[reps];
        for (int i = 0; i < reps; i++) {
            peak[i] = gemmFlops / (medianMs(0, 1, () -> a.mmuli(b, c)) / 1000.0) / 1e9;
            stepMs[i] = medianMs(0, 1, () -> graph.fit(data));
            fraction[i] = flops / (stepMs[i] / 1000.0) / 1e9 / peak[i];
        }
        return new StepResult(Median.of(stepMs), params, tokens, flops, executed, Median.of(peak), Median.of(fraction));
    }

    /** Per-op-type wall time (ms) of SameDiff executions, accumulated by a listener. */
    public static final class OpTimes extends BaseListener {
        private final Map<String, Double> ms = new HashMap<>();
        private final Map<String, Long> start = new HashMap<>();
        /** Wall time (ms) of the whole measured execution, set by {@link #bertOpTimes}. */
        public double wallMs;

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext opContext) {
            start.put(op.getName(), System.nanoTime());
        }

        @Override
        public void opExecution(SameDiff sd, At at, org.nd4j.linalg.dataset.api.MultiDataSet batch, SameDiffOp op,
                                OpContext opContext, INDArray[] outputs) {
            Long t0 = start.remove(op.getName());
            if (t0 != null) {
                ms.merge(op.getOp().opName(), (System.nanoTime() - t0) / 1e6, Double::sum);
            }
        }

        /** Accumulated ms by op type, largest first. */
        public List<Map.Entry<String, Double>> sorted() {
            List<Map.Entry<String, Double>> list = new ArrayList<>(ms.entrySet());
            list.sort(Map.Entry.<String, Double>comparingByValue().reversed());
            return list;
        }
    }

    /**
     * Where the time of one forward+backward of the BERT pretraining graph goes: the standalone
     * {@link BertPretraining} SameDiff graph (the same graph the DL4J layer runs) with
     * {@code calculateGradients} for all parameters, per op type, after one warm-up.
     */
    public static OpTimes bertOpTimes(BertConfig cfg, int batch, int seq, int predictions) {
        BertPretraining.Graph g = BertPretraining.create(cfg, seq, predictions, true, 42, DataType.FLOAT);
        MultiDataSet data = randomBatch(cfg, batch, seq, predictions, 7);
        Map<String, INDArray> feed = new HashMap<>();
        INDArray labels = data.getLabels(0);
        INDArray[] cols = {data.getFeatures(0), data.getFeatures(1), data.getFeatures(2), data.getFeatures(3),
                labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, predictions)).dup(),
                labels.get(NDArrayIndex.all(), NDArrayIndex.interval(predictions, 2 * predictions)).dup(),
                labels.get(NDArrayIndex.all(), NDArrayIndex.point(2 * predictions)).dup()};
        for (int i = 0; i < cols.length; i++) {
            feed.put(BertPretraining.INPUT_NAMES.get(i), cols[i]);
        }
        BertPretraining.gradients(g, feed, List.of("loss"));
        OpTimes times = new OpTimes();
        g.sd().addListeners(times);
        long t0 = System.nanoTime();
        BertPretraining.gradients(g, feed, List.of("loss"));
        times.wallMs = (System.nanoTime() - t0) / 1e6;
        return times;
    }

    private static int arg(Map<String, String> args, String key, int def) {
        return args.containsKey(key) ? Integer.parseInt(args.get(key)) : def;
    }

    /** Runs and prints the four measurements; {@code args} override the sizes (see the class comment). */
    public static void run(Map<String, String> args) {
        Locale.setDefault(Locale.ROOT);
        int batch = arg(args, "batch", 32);
        int seq = arg(args, "seq", 128);
        int hidden = arg(args, "hidden", 256);
        int heads = arg(args, "heads", 4);
        int layers = arg(args, "layers", 4);
        int inter = arg(args, "intermediate", 1024);
        int vocab = arg(args, "vocab", 30522);
        int predictions = arg(args, "predictions", 20);
        int gemm = arg(args, "gemm", 2048);
        int reps = arg(args, "reps", 5);
        int steps = arg(args, "steps", 3);
        int attReps = arg(args, "attReps", 9);
        int stepBatch = arg(args, "stepBatch", batch);

        System.out.printf("AttentionBenchmark float32, %d cores, load average %.2f, ND4J backend %s%n",
                Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Nd4j.getBackend().getClass().getSimpleName());
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);

        double peak = sgemmGflops(gemm, reps);
        System.out.printf("(a) sgemm %dx%dx%d: %.1f GFLOP/s (median of %d)%n", gemm, gemm, gemm, peak, reps);

        double[] both = interleavedMedianMs(2, attReps, ourAttentionStep(batch, seq, hidden, heads),
                stockAttentionStep(batch, seq, hidden, heads));
        double ours = both[0];
        double stock = both[1];
        double attFlops = 3 * (2.0 * batch * seq * 4.0 * hidden * hidden + 4.0 * batch * seq * (double) seq * hidden);
        System.out.printf("(b) attention fwd+bwd B=%d S=%d H=%d A=%d: ours %.1f ms/step, stock "
                        + "multiHeadDotProductAttention %.1f ms/step, speed ours/stock %.2fx "
                        + "(median of %d interleaved; matmul work ~%.2f GFLOP/step: ours %.1f%%, stock %.1f%% of sgemm"
                        + " peak)%n",
                batch, seq, hidden, heads, ours, stock, stock / ours, attReps, attFlops / 1e9,
                100 * attFlops / (ours / 1000) / 1e9 / peak, 100 * attFlops / (stock / 1000) / 1e9 / peak);

        BertConfig cfg = new BertConfig(vocab, hidden, layers, heads, inter, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12);
        StepResult step = bertTrainingStep(cfg, stepBatch, seq, predictions, 1, steps, gemm);
        System.out.printf("(c) BERT L%d H%d A%d I%d V%d, B=%d S=%d P=%d, dropout 0.1, Adam: %.0f ms/step "
                        + "(median of %d after 1 warm-up), %.0f tokens/s, %d params; sgemm before each step: %.1f "
                        + "GFLOP/s (median)%n"
                        + "    model FLOPs (6*params*tokens + attention) %.1f GFLOP/step = %.1f GFLOP/s = %.1f%% of "
                        + "the sgemm peak; executed FLOPs (no FLOPs for the table lookups) %.1f GFLOP/step = %.1f%%"
                        + " of the peak (medians of per-step ratios)%n",
                layers, hidden, heads, inter, vocab, stepBatch, seq, predictions, step.msPerStep(), steps,
                step.tokensPerSecond(), step.params(), step.peakGflops(), step.modelFlopsPerStep() / 1e9,
                step.modelGflopsPerSecond(), 100 * step.fractionOfPeak(), step.executedFlopsPerStep() / 1e9,
                100 * step.executedFractionOfPeak());

        double decoder = matmulMs((long) stepBatch * predictions, hidden, vocab, Math.max(1, reps / 2));
        System.out.printf("    MLM decoder matmul [%d,%d]x[%d,%d] alone: %.1f ms%n",
                (long) stepBatch * predictions, hidden, hidden, vocab, decoder);
        OpTimes times = bertOpTimes(cfg, stepBatch, seq, predictions);
        double total = times.sorted().stream().mapToDouble(Map.Entry::getValue).sum();
        StringBuilder top = new StringBuilder();
        for (Map.Entry<String, Double> e : times.sorted().subList(0, Math.min(12, times.sorted().size()))) {
            top.append(String.format(" %s %.0f ms (%.0f%%),", e.getKey(), e.getValue(), 100 * e.getValue() / total));
        }
        System.out.printf("    one fwd+bwd of the same SameDiff graph alone (calculateGradients): %.0f ms wall, %.0f ms"
                + " in ops:%s%n", times.wallMs, total, top);
    }
}
