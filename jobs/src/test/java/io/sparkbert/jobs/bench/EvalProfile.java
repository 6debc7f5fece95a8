package io.sparkbert.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

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
 * batches ({@link RandomBatches}): {@code EvalProfile [preset=mini] [seqLen=128] [vocab=30522] [batch=32]
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
        Random random = new Random(7);
        for (int i = 0; i < batches; i++) {
            data.add(RandomBatches.of(random, batch, seqLen, predictions, vocab));
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
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "evaluation %d: load %.2f s, run %.2f s (%.3f s/batch), mlm acc %.4f%n", r,
                    load, seconds, seconds / batches, e.mlmAccuracy());
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
}
