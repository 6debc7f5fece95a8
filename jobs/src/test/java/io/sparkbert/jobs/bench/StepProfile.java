package io.sparkbert.jobs.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times training steps of the pretraining network in one JVM, as {@code pretrain} trains (BERT's AdamW with
 * clipping, dropout on, {@code graph.fit} per step), for profiling a step (perf, JFR) and for before/after
 * comparisons of model changes:
 * {@code StepProfile [preset=mini] [seqLen=64] [vocab=4000] [batch=32] [steps=20]}; {@code -Dops=true}
 * also prints where one more step's time goes per SameDiff op type. A developer's tool in test sources.
 */
public final class StepProfile {

    private StepProfile() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        String preset = args.length > 0 ? args[0] : "mini";
        int seqLen = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int vocab = args.length > 2 ? Integer.parseInt(args[2]) : 4000;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        int warmup = Integer.getInteger("warmup", 5);
        int predictions = Math.max(1, Math.round(seqLen * 0.15f));

        BertConfig cfg = BertConfig.preset(preset, vocab);
        Optimizer adamW = Optimizer.adamW(1e-3, 10, 10_000, 0.9, 0.999, 1e-6, 0.01, 1.0);
        ComputationGraph graph = BertModel.build(cfg, seqLen, predictions, 42, DataType.FLOAT, adamW);
        MultiDataSet[] batches = new MultiDataSet[4];
        for (int i = 0; i < batches.length; i++) {
            batches[i] = AttentionBenchmark.randomBatch(cfg, batch, seqLen, predictions, 7 + i);
        }
        for (int i = 0; i < warmup; i++) {
            graph.fit(batches[i % batches.length]);
        }
        // CPU time of this thread too: with one ND4J thread every op runs on it, and unlike wall time it
        // does not count the time a shared virtual machine takes the core away
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        double[] ms = new double[steps];
        double[] cpuMs = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            long c0 = cpu.getCurrentThreadCpuTime();
            graph.fit(batches[i % batches.length]);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            cpuMs[i] = (cpu.getCurrentThreadCpuTime() - c0) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "step %s S%d V%d B%d threads=%d: mean %.1f ms, median %.1f ms, min %.1f ms"
                        + " (%d steps after %d warm-up); %.1f samples/s at the median%n",
                preset, seqLen, vocab, batch, Nd4j.getEnvironment().maxMasterThreads(),
                Arrays.stream(ms).average().orElse(0), sorted[steps / 2], sorted[0], steps, warmup,
                batch * 1000.0 / sorted[steps / 2]);
        System.out.printf(Locale.ROOT, "step cpu time of the training thread: median %.1f ms%n",
                io.sparkbert.jobs.bench.Median.of(cpuMs));

        if (Boolean.getBoolean("ops")) {
            Field field = org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer.class.getDeclaredField("sameDiff");
            field.setAccessible(true);
            SameDiff sd = (SameDiff) field.get((SameDiffOutputLayer) graph.getLayer(BertModel.LAYER));
            AttentionBenchmark.OpTimes times = new AttentionBenchmark.OpTimes();
            sd.addListeners(times);
            long t0 = System.nanoTime();
            graph.fit(batches[0]);
            double wall = (System.nanoTime() - t0) / 1e6;
            double inOps = times.sorted().stream().mapToDouble(Map.Entry::getValue).sum();
            System.out.printf(Locale.ROOT, "one step: %.0f ms wall, %.0f ms in SameDiff ops%n", wall, inOps);
            for (Map.Entry<String, Double> e : times.sorted().subList(0, Math.min(25, times.sorted().size()))) {
                System.out.printf(Locale.ROOT, "  %-28s %7.1f ms %5.1f%%%n", e.getKey(), e.getValue(),
                        100 * e.getValue() / wall);
            }
        }
    }
}
