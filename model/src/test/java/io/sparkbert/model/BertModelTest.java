package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

/** BERT pretraining as a DL4J ComputationGraph (BertModel + BertPretrainingLayer). */
class BertModelTest {

    private static final int S = TestBatch.S;
    private static final int P = TestBatch.P;

    private static MultiDataSet data(DataType dt) {
        INDArray[] c = TestBatch.columns();
        return BertModel.toMultiDataSet(c[0], c[1], c[2], c[3], c[4], c[5], c[6], dt);
    }

    private static BertConfig tiny() {
        return new BertConfig(20, 4, 2, 2, 8, "gelu", 0.0, 0.0, 8, 2, 0.3, 1e-12);
    }

    @Test
    void gradientCheckOfTheWholeNetworkPasses() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        ComputationGraph graph = BertModel.build(tiny(), S, P, 42, DataType.DOUBLE, new NoOp());
        MultiDataSet mds = data(DataType.DOUBLE);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                .inputs(mds.getFeatures()).labels(mds.getLabels())
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
        assertTrue(ok, "DL4J GradientCheckUtil failed");

        // own central differences over every parameter, to report the maximum relative error
        graph.setInputs(mds.getFeatures());
        graph.setLabels(mds.getLabels());
        graph.computeGradientAndScore();
        INDArray analytic = graph.gradient().gradient().dup().divi(mds.getFeatures(0).size(0)); // as the updater
        INDArray params = graph.params();
        double eps = 1e-6;
        double maxRel = 0;
        double maxAbs = 0;
        double maxGrad = 0;
        long n = params.length();
        for (long i = 0; i < n; i++) {
            double orig = params.getDouble(i);
            params.putScalar(i, orig + eps);
            double plus = graph.score(mds, true);
            params.putScalar(i, orig - eps);
            double minus = graph.score(mds, true);
            params.putScalar(i, orig);
            double numeric = (plus - minus) / (2 * eps);
            double a = analytic.getDouble(i);
            double abs = Math.abs(a - numeric);
            maxAbs = Math.max(maxAbs, abs);
            maxGrad = Math.max(maxGrad, Math.abs(a));
            if (Math.abs(a) + Math.abs(numeric) > 1e-4) {   // below that, finite-difference round-off (~1e-9) dominates
                maxRel = Math.max(maxRel, abs / (Math.abs(a) + Math.abs(numeric)));
            }
        }
        System.out.printf("BertModel gradient check: %d parameters, max relative error %.3e (gradients with"
                + " |a|+|n| > 1e-4), max absolute difference %.3e, max |gradient| %.3e%n", n, maxRel, maxAbs, maxGrad);
        assertTrue(maxGrad > 1e-2, "gradients too small for a meaningful check: " + maxGrad);
        assertTrue(maxAbs < 1e-7, "max absolute difference " + maxAbs);
        assertTrue(maxRel < 1e-5, "max relative error " + maxRel);
    }

    @Test
    void scoreEqualsTheSameDiffLossOnTheSameParameters() {
        BertConfig cfg = new BertConfig(20, 8, 2, 2, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 5, DataType.DOUBLE, new Adam(1e-3));
        BertPretraining.Graph ref = BertPretraining.create(cfg, S, P, false, 5, DataType.DOUBLE);
        // same seed -> identical parameters, one DL4J parameter per SameDiff variable (token table once: tied)
        Map<String, INDArray> table = graph.getLayer(BertModel.LAYER).paramTable();
        int vars = 0;
        for (SDVariable v : ref.sd().variables()) {
            if (v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE) {
                vars++;
                INDArray dl4j = table.get(BertPretrainingLayer.paramKey(v.name()));
                assertNotNull(dl4j, v.name());
                assertEquals(v.getArr(), dl4j, v.name());
            }
        }
        assertEquals(vars, table.size());
        assertEquals(ref.sd().getVariable("embeddings/token").getArr().length()
                        + ref.sd().variables().stream()
                        .filter(v -> v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE
                                && !v.name().equals("embeddings/token"))
                        .mapToLong(v -> v.getArr().length()).sum(),
                graph.numParams());

        INDArray[] c = TestBatch.columns();
        Map<String, INDArray> out = ref.sd().output(TestBatch.feed(c), "loss", "mlm_logits", "nsp_logits");
        double score = graph.score(data(DataType.DOUBLE), false);
        System.out.printf("ComputationGraph score %.15f, SameDiff loss %.15f%n", score, out.get("loss").getDouble(0));
        assertEquals(out.get("loss").getDouble(0), score, 1e-10);

        BertModel.Outputs o = BertModel.output(graph, BertModel.features(c[0], c[1], c[2], c[3], DataType.DOUBLE));
        assertArrayEquals(new long[] {4, P, 20}, o.mlmLogits().shape());
        assertTrue(o.mlmLogits().reshape(4L * P, 20).equalsWithEps(out.get("mlm_logits"), 1e-10));
        assertTrue(o.nspLogits().equalsWithEps(out.get("nsp_logits"), 1e-10));
    }

    @Test
    void overfitsOneFixedBatchThroughFit() {
        BertConfig cfg = new BertConfig(20, 16, 2, 2, 64, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 7, DataType.FLOAT, new Adam(3e-3));
        MultiDataSet mds = data(DataType.FLOAT);
        StringBuilder curve = new StringBuilder();
        double loss = graph.score(mds, false);
        curve.append("0:").append(String.format("%.4f", loss));
        for (int i = 1; i <= 300; i++) {
            graph.fit(mds);
            if (i % 25 == 0) {
                loss = graph.score(mds, false);
                curve.append(' ').append(i).append(':').append(String.format("%.4f", loss));
            }
        }
        System.out.println("BertModel overfit (float, Adam 3e-3) loss curve: " + curve);
        assertTrue(loss < 0.05, "loss after 300 iterations " + loss);
    }

    @Test
    void modelZipRestoresIdenticalOutputsAndTraining(@TempDir Path dir) throws Exception {
        BertConfig cfg = new BertConfig(20, 8, 1, 2, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 3, DataType.FLOAT, new Adam(1e-3));
        MultiDataSet mds = data(DataType.FLOAT);
        graph.fit(mds);
        graph.fit(mds);
        File file = dir.resolve("bert.zip").toFile();
        ModelSerializer.writeModel(graph, file, true);
        assertTrue(Files.size(file.toPath()) > 0);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);

        assertEquals(graph.params(), restored.params());
        assertEquals(graph.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
        INDArray a = graph.output(false, mds.getFeatures())[0];
        INDArray b = restored.output(false, mds.getFeatures())[0];
        assertEquals(a, b);
        assertEquals(graph.score(mds, false), restored.score(mds, false), 0.0);
        // training continues identically (Adam state restored)
        graph.fit(mds);
        restored.fit(mds);
        assertEquals(graph.params(), restored.params());

        // the configuration survives JSON (Spark broadcasts it) and clone (Spark workers clone it)
        ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(graph.getConfiguration().toJson());
        org.deeplearning4j.nn.conf.graph.LayerVertex lv =
                (org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get(BertModel.LAYER);
        BertPretrainingLayer l = (BertPretrainingLayer) lv.getLayerConf().getLayer();
        assertEquals(cfg, l.bertConfig());
        BertPretrainingLayer cloned = BertModel.layer(graph).clone();
        assertEquals(cfg, cloned.bertConfig());
        assertNotNull(cloned.getUpdater());
    }

    @Test
    void dropoutNetworkTrainsAndItsInferenceCopyIsDeterministic() {
        BertConfig cfg = new BertConfig(20, 8, 1, 2, 16, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 11, DataType.FLOAT, new Adam(1e-3));
        MultiDataSet mds = data(DataType.FLOAT);
        graph.fit(mds);
        INDArray training = graph.output(false, mds.getFeatures())[0];
        ComputationGraph inference = BertModel.forInference(graph);
        assertEquals(graph.params(), inference.params());
        INDArray i1 = inference.output(false, mds.getFeatures())[0];
        INDArray i2 = inference.output(false, mds.getFeatures())[0];
        assertEquals(i1, i2);
        assertTrue(!training.equalsWithEps(i1, 1e-6), "the training network applies dropout, the copy does not");
        // the inference copy is exactly the dropout-free BertPretraining graph on the same parameters
        BertPretraining.Graph ref = BertPretraining.create(cfg.withoutDropout(), S, P, false, 11, DataType.FLOAT);
        Map<String, INDArray> table = inference.getLayer(BertModel.LAYER).paramTable();
        for (SDVariable v : ref.sd().variables()) {
            if (v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE) {
                v.getArr().assign(table.get(BertPretrainingLayer.paramKey(v.name())));
            }
        }
        INDArray[] c = TestBatch.columns();
        for (int k = 0; k < c.length; k++) {
            c[k] = c[k].castTo(DataType.FLOAT);
        }
        INDArray nspRef = ref.sd().output(TestBatch.feed(c), "nsp_logits").get("nsp_logits");
        assertTrue(BertModel.output(inference, mds.getFeatures()).nspLogits().equalsWithEps(nspRef, 1e-5));
        assertEquals(cfg.withoutDropout(), BertModel.layer(inference).bertConfig());
    }

    @Test
    void dropoutNetworkDrawsAFreshMaskAtEveryExecution() {
        BertConfig cfg = new BertConfig(20, 8, 1, 2, 16, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 11, DataType.FLOAT, new NoOp());
        MultiDataSet mds = data(DataType.FLOAT);
        INDArray o1 = graph.output(false, mds.getFeatures())[0];
        INDArray o2 = graph.output(false, mds.getFeatures())[0];
        assertTrue(!o1.equalsWithEps(o2, 1e-6), "same dropout mask in two forward passes");
        graph.setInputs(mds.getFeatures());
        graph.setLabels(mds.getLabels());
        graph.computeGradientAndScore();
        INDArray g1 = graph.gradient().gradient().dup();
        graph.computeGradientAndScore();
        INDArray g2 = graph.gradient().gradient().dup();
        assertTrue(!g1.equalsWithEps(g2, 1e-6), "same dropout mask in two backprop passes");
    }
}
