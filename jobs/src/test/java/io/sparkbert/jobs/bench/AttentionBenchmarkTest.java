package io.sparkbert.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.sparkbert.model.BertConfig;

/** Runs every benchmark method with tiny sizes so that the benchmark cannot rot; no timing assertions. */
class AttentionBenchmarkTest {

    @Test
    void benchmarkMethodsRunWithTinySizes() {
        assertTrue(AttentionBenchmark.sgemmGflops(32, 1) > 0);
        assertTrue(AttentionBenchmark.matmulMs(8, 16, 4, 1) >= 0);
        assertTrue(AttentionBenchmark.ourAttentionMs(2, 4, 8, 2, 1, 1) > 0);
        assertTrue(AttentionBenchmark.stockAttentionMs(2, 4, 8, 2, 1, 1) > 0);
        BertConfig cfg = new BertConfig(30, 8, 1, 2, 16, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
        AttentionBenchmark.StepResult r = AttentionBenchmark.bertTrainingStep(cfg, 2, 8, 2, 1, 1, 16);
        assertEquals(16, r.tokensPerStep());
        assertTrue(r.params() > 0 && r.msPerStep() > 0 && r.modelFlopsPerStep() > 0);
        assertTrue(r.executedFlopsPerStep() > 0 && r.executedFlopsPerStep() < r.modelFlopsPerStep());
        assertTrue(r.peakGflops() > 0 && r.fractionOfPeak() > 0);
        assertTrue(!AttentionBenchmark.bertOpTimes(cfg, 2, 8, 2).sorted().isEmpty());
    }

    @Test
    void runPrintsWithTinySizes() {
        Map<String, String> sizes = new HashMap<>();
        for (String keyValue : new String[] {"batch=2", "seq=8", "hidden=8", "heads=2", "layers=1", "intermediate=16",
                "vocab=30", "predictions=2", "gemm=16", "reps=1", "attReps=1", "steps=1", "stepBatch=2"}) {
            String[] kv = keyValue.split("=");
            sizes.put(kv[0], kv[1]);
        }
        AttentionBenchmark.run(sizes);
    }
}
