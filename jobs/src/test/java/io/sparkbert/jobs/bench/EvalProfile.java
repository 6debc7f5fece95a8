package io.sparkbert.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;
import io.sparkbert.model.train.Evaluation;
import io.sparkbert.model.train.SampleBatch;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times held-out evaluation as {@code pretrain} runs it (one inference graph, {@link Evaluation#run}) on random
 * batches shaped like real ones: {@code EvalProfile [preset=mini] [seqLen=128] [vocab=30522] [batch=32]
 * [batches=10] [repeats=3]}; prints the graph build, each evaluation's time, and the forward pass alone.
 * A developer's tool in test sources, like {@link StepProfile}.
 */
public final class EvalProfile {

    private EvalProfile() {
    }

    public static void main(String[] args) {
        String preset = args.length > 0 ? args[0] : "mini";
        int seqLen = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int vocab = args.length > 2 ? Integer.parseInt(args[2]) : 30522;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int batches = args.length > 4 ? Integer.parseInt(args[4]) : 10;
        int repeats = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        int predictions = Math.max(1, Math.round(seqLen * 0.15f));

        BertConfig cfg = BertConfig.preset(preset, vocab);
        Optimizer adamW = Optimizer.adamW(1e-3, 10, 10_000, 0.9, 0.999, 1e-6, 0.01, 1.0);
        ComputationGraph graph = BertModel.build(cfg, seqLen, predictions, 42, DataType.FLOAT, adamW);
        List<SampleBatch> data = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < batches; i++) {
            data.add(randomBatch(random, batch, seqLen, predictions, vocab));
        }
        long t0 = System.nanoTime();
        BertInference model = new BertInference(graph);
        System.out.printf(Locale.ROOT, "inference graph: %.2f s%n", (System.nanoTime() - t0) / 1e9);
        for (int r = 0; r < repeats; r++) {
            t0 = System.nanoTime();
            model.load(graph);
            double load = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            Evaluation e = Evaluation.run(model, data);
            System.out.printf(Locale.ROOT, "evaluation %d: load %.2f s, run %.2f s (%.3f s/batch), mlm acc %.4f%n", r,
                    load, (System.nanoTime() - t0) / 1e9, (System.nanoTime() - t0) / 1e9 / batches, e.mlmAccuracy());
        }
        for (int r = 0; r < 2; r++) {
            t0 = System.nanoTime();
            for (SampleBatch b : data) {
                model.run(Nd4j.createFromArray(b.inputIds()), Nd4j.createFromArray(b.tokenTypeIds()),
                        Nd4j.createFromArray(b.attentionMask()), Nd4j.createFromArray(b.maskedLmPositions()));
            }
            System.out.printf(Locale.ROOT, "forward only: %.3f s/batch%n", (System.nanoTime() - t0) / 1e9 / batches);
        }
    }

    /** Samples of 70-100% of {@code seqLen} real tokens, 15% of them masked (at most {@code predictions}). */
    static SampleBatch randomBatch(SplittableRandom random, int batch, int seqLen, int predictions, int vocab) {
        int[][] ids = new int[batch][seqLen];
        int[][] types = new int[batch][seqLen];
        int[][] mask = new int[batch][seqLen];
        int[][] positions = new int[batch][predictions];
        int[][] labels = new int[batch][predictions];
        float[][] weights = new float[batch][predictions];
        int[] nsp = new int[batch];
        for (int b = 0; b < batch; b++) {
            int length = seqLen * 7 / 10 + random.nextInt(seqLen * 3 / 10 + 1);
            for (int i = 0; i < length; i++) {
                ids[b][i] = 1 + random.nextInt(vocab - 1);
                types[b][i] = i < length / 2 ? 0 : 1;
                mask[b][i] = 1;
            }
            int masked = Math.min(predictions, Math.max(1, Math.round(length * 0.15f)));
            for (int p = 0; p < masked; p++) {
                positions[b][p] = 1 + p * (length - 1) / masked;
                labels[b][p] = ids[b][positions[b][p]];
                weights[b][p] = 1;
            }
            nsp[b] = random.nextInt(2);
        }
        return new SampleBatch(ids, types, mask, positions, labels, weights, nsp);
    }
}
