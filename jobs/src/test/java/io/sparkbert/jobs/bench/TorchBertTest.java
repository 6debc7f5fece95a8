package io.sparkbert.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretraining;
import io.sparkbert.model.Optimizer;
import io.sparkbert.model.checkpoint.HuggingFaceCheckpoint;
import io.sparkbert.model.checkpoint.SafeTensors;
import io.sparkbert.model.train.LinearWarmupDecay;
import io.sparkbert.model.train.SampleBatch;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The proof that {@link TorchBert} + {@link TorchAdamW} are our BERT and our optimizer: a tiny model built by
 * our code (DL4J/ND4J, float, no dropout) is exported through {@link HuggingFaceCheckpoint}, loaded into the
 * peer (DJL on PyTorch), and both compute the losses of the same batches and take the same optimizer steps.
 */
class TorchBertTest {
    private static final int S = 16;
    private static final int P = 5;
    private static final int B = 6;
    private static final BertConfig CFG = new BertConfig(50, 32, 2, 4, 64, "gelu", 0.0, 0.0, 32, 2, 0.02, 1e-12);

    @Test
    void sameLossesAndSameParametersAfterThreeAdamWSteps(@TempDir Path dir) throws Exception {
        // lr 0 at step 0 (DL4J's ε fallback), warm-up at step 1, decay at step 2; clipping at 0.5 is active.
        // Tolerances: the step-0 fallback moves every parameter by ~3e-6 and the weight decay (0.1 here) the
        // embeddings by ~2e-6 a step, so a peer without either would be 2-3x off the 1e-6 bound.
        double peak = 1e-3;
        double weightDecay = 0.1;
        int warmup = 2;
        int total = 10;
        double clip = 0.5;
        ComputationGraph ours = BertModel.build(CFG, S, P, 7, DataType.FLOAT,
                Optimizer.adamW(peak, warmup, total, 0.9, 0.999, 1e-6, weightDecay, clip));
        Path weights = dir.resolve(HuggingFaceCheckpoint.WEIGHTS);
        try (OutputStream out = Files.newOutputStream(weights)) {
            SafeTensors.write(HuggingFaceCheckpoint.tensors(ours, SafeTensors.DType.F32), HuggingFaceCheckpoint.METADATA,
                    out);
        }
        List<SampleBatch> batches = new ArrayList<>();
        Random rng = new Random(11);
        for (int i = 0; i < 3; i++) {
            batches.add(RandomBatches.of(rng, B, S, P, CFG.vocabSize()));
        }

        // the same losses on the same parameters (our standalone graph has the parameters of the same seed)
        BertPretraining.Graph ref = BertPretraining.create(CFG, S, P, false, 7, DataType.FLOAT);
        Map<String, INDArray> ourLosses = ref.sd().output(feed(batches.get(0)), "mlm_loss", "nsp_loss");
        double ourMlm = ourLosses.get("mlm_loss").getDouble(0);
        double ourNsp = ourLosses.get("nsp_loss").getDouble(0);
        assertEquals(ourMlm + ourNsp, ours.score(batches.get(0).toMultiDataSet(DataType.FLOAT), false), 1e-5);

        try (NDManager manager = NDManager.newBaseManager("PyTorch");
             TorchBert peer = TorchBert.load(manager, CFG, weights);
             TorchAdamW adam = new TorchAdamW(manager, peer.params(), new LinearWarmupDecay(peak, warmup, total),
                     0.9, 0.999, 1e-6, weightDecay, clip)) {
            try (NDScope scope = new NDScope()) {
                TorchBert.Output o = peer.forward(TorchBert.inputs(manager, batches.get(0)), false);
                double mlm = o.mlmLoss().getFloat();
                double nsp = o.nspLoss().getFloat();
                System.out.printf("MLM loss ours %.8f peer %.8f; NSP loss ours %.8f peer %.8f%n", ourMlm, mlm, ourNsp,
                        nsp);
                assertEquals(ourMlm, mlm, 1e-5 * ourMlm);
                assertEquals(ourNsp, nsp, 1e-5 * ourNsp);
            }

            // three optimizer steps on each side
            for (int t = 0; t < 3; t++) {
                ours.fit(batches.get(t).toMultiDataSet(DataType.FLOAT));
                try (NDScope scope = new NDScope()) {
                    NDArray[] in = TorchBert.inputs(manager, batches.get(t));
                    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                        gc.backward(peer.forward(in, false).loss());
                    }
                    double norm = adam.step(peer.params(), t);
                    System.out.printf("step %d: lr %.2e, peer gradient norm %.5f (clip %.2f)%n", t,
                            adam.learningRate(t), norm, clip);
                    if (t == 0) {
                        assertTrue(norm > clip, "the test should exercise clipping");
                    }
                }
            }
            Map<String, float[]> after = new HashMap<>();
            for (SafeTensors.Tensor tensor : HuggingFaceCheckpoint.tensors(ours, SafeTensors.DType.F32)) {
                after.put(tensor.name(), tensor.floats());
            }
            double worst = 0;
            String worstName = null;
            for (Map.Entry<String, NDArray> e : peer.params().entrySet()) {
                float[] peerValues = e.getValue().toFloatArray();
                float[] ourValues = after.get(e.getKey());
                assertEquals(ourValues.length, peerValues.length, e.getKey());
                for (int i = 0; i < peerValues.length; i++) {
                    double diff = Math.abs(peerValues[i] - ourValues[i]);
                    if (diff > worst) {
                        worst = diff;
                        worstName = e.getKey();
                    }
                }
            }
            System.out.printf("after 3 steps: largest parameter difference %.3e (%s)%n", worst, worstName);
            assertTrue(worst < 1e-6, "parameters differ by " + worst + " in " + worstName);
        }
    }

    private static Map<String, INDArray> feed(SampleBatch b) {
        INDArray[] columns = {Nd4j.createFromArray(b.inputIds()), Nd4j.createFromArray(b.tokenTypeIds()),
            Nd4j.createFromArray(b.attentionMask()), Nd4j.createFromArray(b.maskedLmPositions()),
            Nd4j.createFromArray(b.maskedLmIds()), Nd4j.createFromArray(b.maskedLmWeights()),
            Nd4j.createFromArray(b.nextSentenceLabel())};
        Map<String, INDArray> feed = new HashMap<>();
        for (int i = 0; i < columns.length; i++) {
            feed.put(BertPretraining.INPUT_NAMES.get(i), columns[i].castTo(DataType.FLOAT));
        }
        return feed;
    }
}
