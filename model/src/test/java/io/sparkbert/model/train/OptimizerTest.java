package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;
import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

/** BERT's optimizer in DL4J (docs/design.md §5): schedule, global-norm clipping, decoupled decay, exemptions. */
class OptimizerTest {

    private static MultiDataSet batch() {
        return TinyBatches.batches(TinyBatches.samples(4, 11), 4).get(0).toMultiDataSet(DataType.DOUBLE);
    }

    private static org.nd4j.linalg.dataset.MultiDataSet floatBatch() {
        return TinyBatches.batches(TinyBatches.samples(4, 11), 4).get(0).toMultiDataSet(DataType.FLOAT);
    }

    @Test
    void scheduleIsGooglesWarmupThenLinearDecay() {
        LinearWarmupDecay s = new LinearWarmupDecay(1e-3, 10, 100);
        // hand-worked from create_optimizer: warm-up lr·step/warmup, then lr·(1 - step/total)
        assertEquals(0.0, s.valueAt(0, 0), 0);
        assertEquals(5e-4, s.valueAt(5, 0), 1e-15);
        assertEquals(1e-3 * 0.9, s.valueAt(10, 0), 1e-15);
        assertEquals(1e-3 * 0.5, s.valueAt(50, 0), 1e-15);
        assertEquals(0.0, s.valueAt(100, 0), 0);
        assertEquals(0.0, s.valueAt(150, 0), 0);
    }

    @Test
    void scheduleAndIterationCountSurviveTheModelZip(@TempDir Path dir) throws Exception {
        ComputationGraph graph = BertModel.build(TinyBatches.config(0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 1,
                DataType.FLOAT, Optimizer.adamW(1e-3, 3, 50, 0.9, 0.999, 1e-6, 0.01, 1.0));
        MultiDataSet data = batch();
        for (int i = 0; i < 3; i++) {
            graph.fit(data);
        }
        File zip = dir.resolve("m.zip").toFile();
        ModelSerializer.writeModel(graph, zip, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip, true);
        assertEquals(3, restored.getIterationCount());
        Adam adam = (Adam) BertModel.layer(restored).getUpdater();
        assertEquals(new LinearWarmupDecay(1e-3, 3, 50), adam.getLearningRateSchedule());
        assertEquals(graph.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
        ComputationGraphConfiguration json = ComputationGraphConfiguration.fromJson(graph.getConfiguration().toJson());
        assertEquals(3, json.getIterationCount());
    }

    @Test
    void clippingRescalesTheWholeGradientToTheThreshold() {
        // SGD with lr 1 makes the applied update equal to the (clipped) gradient
        ComputationGraph plain = BertModel.build(TinyBatches.config(0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 3,
                DataType.DOUBLE, new Optimizer(new Sgd(1.0), 0, 0));
        MultiDataSet data = batch();
        plain.setInputs(data.getFeatures());
        plain.setLabels(data.getLabels());
        plain.computeGradientAndScore();
        INDArray gradient = plain.gradient().gradient().dup();
        double norm = gradient.norm2Number().doubleValue();
        double threshold = norm / 4;    // force clipping
        ComputationGraph clipped = BertModel.build(TinyBatches.config(0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 3,
                DataType.DOUBLE, new Optimizer(new Sgd(1.0), 0, threshold));
        INDArray before = clipped.params().dup();
        clipped.fit(data);
        INDArray update = before.sub(clipped.params());
        assertEquals(threshold, update.norm2Number().doubleValue(), 1e-9 * norm);
        INDArray expected = gradient.mul(threshold / norm);
        assertTrue(update.equalsWithEps(expected, 1e-9), "update = gradient · threshold / ‖gradient‖");
    }

    @Test
    void weightDecayIsDecoupledAndSparesBiasesAndLayerNorm() {
        double lr = 0.1;
        double decay = 0.01;
        MultiDataSet data = batch();
        ComputationGraph noDecay = BertModel.build(TinyBatches.config(0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 5,
                DataType.DOUBLE, new Optimizer(new Sgd(lr), 0, 0));
        ComputationGraph withDecay = BertModel.build(TinyBatches.config(0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 5,
                DataType.DOUBLE, new Optimizer(new Sgd(lr), decay, 0));
        Map<String, INDArray> before = copy(withDecay.paramTable());
        noDecay.fit(data);
        withDecay.fit(data);
        Map<String, INDArray> plain = noDecay.paramTable();
        Map<String, INDArray> decayed = withDecay.paramTable();
        for (String key : before.keySet()) {
            // in BERT every vector parameter is a bias or a LayerNorm gain/bias, every matrix a weight
            boolean exempt = before.get(key).rank() == 1;
            // θ' = θ - lr·g - lr·decay·θ  (decay applied after the updater, scaled by lr; none if exempt)
            INDArray expected = exempt ? plain.get(key) : plain.get(key).sub(before.get(key).mul(lr * decay));
            assertTrue(decayed.get(key).equalsWithEps(expected, 1e-12), key + (exempt ? " must not decay" : " decays"));
        }
        assertTrue(before.keySet().stream().anyMatch(k -> k.endsWith("ln1/gain")));
    }

    private static Map<String, INDArray> copy(Map<String, INDArray> table) {
        Map<String, INDArray> out = new java.util.LinkedHashMap<>();
        table.forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    @Test
    void frozenTokenEmbeddingsDoNotMoveButEverythingElseTrains() {
        ComputationGraph graph = BertModel.build(TinyBatches.config(0), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 5,
                DataType.FLOAT, Optimizer.adamW(1e-2, 0, 10, 0.9, 0.999, 1e-6, 0.01, 1.0).withFrozenTokenEmbeddings(true));
        Map<String, INDArray> before = copy(graph.paramTable());
        graph.fit(floatBatch());
        graph.fit(floatBatch());
        for (var e : graph.paramTable().entrySet()) {
            if (e.getKey().endsWith("attention/bk")) {
                continue;   // the key bias has an identically zero gradient: softmax over keys ignores q·bk
            }
            boolean token = e.getKey().endsWith("embeddings/token");
            assertEquals(token, e.getValue().equals(before.get(e.getKey())), e.getKey());
        }
    }
}
