package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The whole pretraining graph (embeddings, blocks, tied MLM head, NSP head, losses) in SameDiff. */
class BertPretrainingTest {

    private static final DataType D = DataType.DOUBLE;

    /**
     * {@link BertPretraining#gradients} (SameDiff's backprop plus the row lookups' scatter-adds) against
     * central differences of the loss, for the parameters of a tiny double model. The
     * batch repeats token ids ([CLS]=1 and [SEP]=2 in every row, 0 in padding) and an MLM target id, which is
     * where M2.1's own gather gradient goes wrong.
     */
    @Test
    void gradientsOfTheTinyModelMatchFiniteDifferences() {
        BertConfig cfg = new BertConfig(20, 4, 2, 2, 8, "gelu", 0.0, 0.0, 8, 2, 0.3, 1e-12);
        BertPretraining.Graph g = BertPretraining.create(cfg, 8, 2, false, 42, D);
        INDArray[] columns = TestBatch.columns();
        columns[4].putScalar(1, 0, 6);  // MLM target id 6 twice: the target rows' gradients must add up too
        Map<String, INDArray> feed = TestBatch.feed(columns);
        BertPretraining.Gradients analytic = BertPretraining.gradients(g, feed, List.of("loss"));
        double eps = 1e-6;
        int checked = 0;
        double worst = 0;
        for (SDVariable v : g.sd().variables()) {
            if (v.getVariableType() != VariableType.VARIABLE) {
                continue;
            }
            INDArray param = v.getArr();
            INDArray grad = analytic.gradients().get(v.name());
            // every element of the token table and the MLM output bias (where the row lookups' parts go), every
            // 4th of the others: the whole-network DL4J gradient check in BertModelTest covers all elements
            long stride = v.name().equals(g.params().embeddings().tokenTable().name())
                    || v.name().equals(g.params().mlm().outputBias().name()) ? 1 : 4;
            for (long i = 0; i < param.length(); i += stride) {
                double original = param.getDouble(i);
                param.putScalar(i, original + eps);
                double plus = g.sd().output(feed, "loss").get("loss").getDouble(0);
                param.putScalar(i, original - eps);
                double minus = g.sd().output(feed, "loss").get("loss").getDouble(0);
                param.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps);
                double a = grad.getDouble(i);
                double error = Math.abs(a - numeric) / Math.max(1e-8, Math.abs(a) + Math.abs(numeric));
                if (Math.abs(a - numeric) > 1e-8) {
                    worst = Math.max(worst, error);
                    assertTrue(error < 1e-5, v.name() + "[" + i + "]: analytic " + a + " vs numeric " + numeric);
                }
                checked++;
            }
        }
        System.out.printf("gradient check: %d parameters, worst relative error %.2e%n", checked, worst);
        assertTrue(checked > 150, "checked " + checked);
    }

    /**
     * The token table's gradient is the decoder's part plus, row by row, the summed gradients of the rows the
     * gather read for the embedding lookup and for the MLM loss's target logits.
     */
    @Test
    void theTokenTableGradientAddsTheLookupOfEveryOccurrence() {
        BertConfig cfg = new BertConfig(20, 4, 1, 2, 8, "gelu", 0.0, 0.0, 8, 2, 0.3, 1e-12);
        BertPretraining.Graph g = BertPretraining.create(cfg, 8, 2, false, 3, D);
        Map<String, INDArray> feed = TestBatch.feed(TestBatch.columns());
        String table = g.params().embeddings().tokenTable().name();
        INDArray complete = BertPretraining.gradients(g, feed, List.of("loss")).gradients().get(table);
        var raw = g.sd().calculateGradientsAndOutputs(feed, List.of(TokenLookup.IDS), List.of(table, TokenLookup.ROWS));
        INDArray decoderOnly = raw.getGradients().get(table);
        INDArray rowsGrad = raw.getGradients().get(TokenLookup.ROWS);
        INDArray[] columns = TestBatch.columns();
        double[][] expected = decoderOnly.toDoubleMatrix();
        // the gathered ids: each sample's S input ids, then its P target ids
        int row = 0;
        for (int b = 0; b < columns[0].rows(); b++) {
            for (INDArray ids : new INDArray[] {columns[0].getRow(b), columns[4].getRow(b)}) {
                for (int i = 0; i < ids.length(); i++, row++) {
                    int id = ids.getInt(i);
                    for (int h = 0; h < 4; h++) {
                        expected[id][h] += rowsGrad.getDouble(row, h);
                    }
                }
            }
        }
        double[][] actual = complete.toDoubleMatrix();
        for (int v = 0; v < expected.length; v++) {
            assertArrayEquals(expected[v], actual[v], 1e-14, "row " + v);
        }
        // [SEP] (id 2) occurs 8 times: its lookup part is far from the one occurrence M2.1's gather would keep
        assertTrue(Math.abs(actual[2][0] - decoderOnly.getDouble(2, 0)) > 1e-6);
    }

    @Test
    void lossIsTheSumOfMlmAndNspAndPaddedPredictionsAreIgnored() {
        BertConfig cfg = new BertConfig(20, 8, 1, 2, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        BertPretraining.Graph g = BertPretraining.create(cfg, 8, 2, false, 1, D);
        INDArray[] b = TestBatch.columns();
        Map<String, INDArray> out = g.sd().output(TestBatch.feed(b), "loss", "mlm_loss", "nsp_loss", "mlm_logits",
                "nsp_logits");
        assertEquals(out.get("mlm_loss").getDouble(0) + out.get("nsp_loss").getDouble(0), out.get("loss").getDouble(0), 1e-12);
        assertArrayEquals(new long[] {8, 20}, out.get("mlm_logits").shape());
        assertArrayEquals(new long[] {4, 2}, out.get("nsp_logits").shape());
        // near-uniform predictions at init: each loss is about ln(V) and ln(2)
        assertEquals(Math.log(20), out.get("mlm_loss").getDouble(0), 0.3);
        assertEquals(Math.log(2), out.get("nsp_loss").getDouble(0), 0.1);
        // the MLM loss from the logits, by hand: Σ w·(logsumexp(row) - row[id]) / (Σw + 1e-5)
        double[][] logits = out.get("mlm_logits").toDoubleMatrix();
        double[][] lmIds = b[4].toDoubleMatrix();
        double[][] lmWeights = b[5].toDoubleMatrix();
        double weighted = 0;
        double weightSum = 0;
        for (int r = 0; r < logits.length; r++) {
            double w = lmWeights[r / 2][r % 2];
            weighted += w * (JavaReference.logSumExp(logits[r]) - logits[r][(int) lmIds[r / 2][r % 2]]);
            weightSum += w;
        }
        assertEquals(weighted / (weightSum + 1e-5), out.get("mlm_loss").getDouble(0), 1e-12);
        // the prediction with weight 0 does not count: changing its target id changes nothing
        INDArray[] changed = TestBatch.columns();
        changed[4].putScalar(2, 1, 7);
        double again = g.sd().output(TestBatch.feed(changed), "mlm_loss").get("mlm_loss").getDouble(0);
        assertEquals(out.get("mlm_loss").getDouble(0), again, 1e-12);
    }

    /**
     * {@link BertPretraining#gradients} runs SameDiff's gradient function with its array cache on (arrays of
     * one execution reused by the next); SameDiff's own {@code calculateGradientsAndOutputs} runs it with
     * the cache off. Repeated executions with reuse must give exactly the uncached numbers.
     */
    @Test
    void reusingArraysAcrossExecutionsChangesNoBit() {
        BertConfig cfg = new BertConfig(20, 8, 2, 2, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        BertPretraining.Graph g = BertPretraining.create(cfg, 8, 2, false, 9, DataType.FLOAT);
        Map<String, INDArray> feed = TestBatch.feed(TestBatch.columns());
        List<String> params = new ArrayList<>();
        for (SDVariable v : g.sd().variables()) {
            // all but the two tables whose gradients get TokenLookup's part added outside SameDiff
            if (v.getVariableType() == VariableType.VARIABLE && !v.name().equals("embeddings/token")
                    && !v.name().equals("mlm/output_bias")) {
                params.add(v.name());
            }
        }
        Map<String, INDArray> uncached = g.sd().calculateGradientsAndOutputs(feed, List.of("loss"), params)
                .getGradients();
        INDArray[] original = TestBatch.columns();
        for (int run = 0; run < 3; run++) {
            Map<String, INDArray> cached = BertPretraining.gradients(g, feed, List.of("loss")).gradients();
            for (String name : params) {
                assertArrayEquals(uncached.get(name).dup('c').data().asFloat(),
                        cached.get(name).dup('c').data().asFloat(), "run " + run + ", " + name);
            }
            // the (double) inputs were cast for the float graph: the caller's arrays stay untouched
            for (int i = 0; i < original.length; i++) {
                INDArray input = feed.get(BertPretraining.INPUT_NAMES.get(i));
                assertTrue(!input.wasClosed(), BertPretraining.INPUT_NAMES.get(i) + " was closed");
                assertArrayEquals(original[i].data().asDouble(), input.data().asDouble(), 0.0);
            }
        }
    }

    /** Declared parameters are the created ones (names, order, shapes, types), with zeros where those are drawn. */
    @Test
    void declaredParametersAreTheCreatedOnesWithZeroValues() {
        BertConfig cfg = new BertConfig(20, 8, 2, 2, 16, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        SameDiff created = SameDiff.create();
        SameDiff declared = SameDiff.create();
        BertPretraining.createParams(created, cfg, DataType.FLOAT, 5);
        BertPretraining.declareParams(declared, cfg, DataType.FLOAT);
        List<SDVariable> a = created.variables();
        List<SDVariable> b = declared.variables();
        assertEquals(a.size(), b.size());
        boolean drawn = false;
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).name(), b.get(i).name());
            assertArrayEquals(a.get(i).getArr().shape(), b.get(i).getArr().shape(), a.get(i).name());
            assertEquals(a.get(i).dataType(), b.get(i).dataType(), a.get(i).name());
            // drawn weights are zeros; constant ones (LayerNorm gains 1, biases 0) are the same
            boolean zero = b.get(i).getArr().norm1Number().doubleValue() == 0.0;
            assertTrue(zero || a.get(i).getArr().equals(b.get(i).getArr()), a.get(i).name());
            drawn |= zero && a.get(i).name().equals("embeddings/token") && a.get(i).getArr().norm1Number().doubleValue() > 0;
        }
        assertTrue(drawn, "the created token table is drawn, the declared one is zeros");
    }
}
