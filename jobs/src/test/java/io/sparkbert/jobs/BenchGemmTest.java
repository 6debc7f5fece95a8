package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.BlasKernels;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench gemm} times the step's products in child JVMs, once per kernel set this CPU can run, and each
 * product's rate is the one its shape and time give (the shapes are BERT's: tiny, H 128, I 512).
 */
class BenchGemmTest {
    @Test
    void timesEveryProductWithEveryKernelSetTheCpuRuns(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("gemm.json");
        assertEquals(0, SparkBert.execute("bench", "gemm", "--preset", "tiny", "--vocab-size", "300", "--runs", "1",
                "--seconds", "0.05", "--json", json.toString()));
        JsonNode figures = new ObjectMapper().readTree(json.toFile());
        Set<String> flags = BlasKernels.cpuFlags(Path.of("/proc/cpuinfo"));
        for (String product : new String[] {"attention projection [B·S,H]·[H,H]", "feed-forward in [B·S,H]·[H,I]",
                "feed-forward out [B·S,I]·[I,H]", "weight gradient [H,B·S]·[B·S,I]", "MLM decoder [B·P,H]·[H,V]",
                "attention scores [S,dk]·[dk,S]"}) {
            JsonNode row = figures.get(product);
            assertTrue(row.get("openblas").asDouble() > 0, product);
            assertEquals(flags.containsAll(BlasKernels.AVX2_FLAGS), row.has("Haswell"), product);
            assertEquals(flags.containsAll(BlasKernels.AVX512_FLAGS), row.has("SkylakeX"), product);
        }
        if (flags.containsAll(BlasKernels.AVX2_FLAGS)) {
            assertTrue(figures.get("ratio_Haswell_to_own_choice").asDouble() > 0);
        }
    }

    @Test
    void theProductsAreThoseOfABertStep() {
        BenchGemm bench = new BenchGemm();
        bench.preset = "tiny";
        bench.vocabSize = 300;
        bench.batchSize = 2;
        bench.seqLength = 8;
        bench.maxPredictions = 3;
        // conf/model/tiny.conf: H 128, I 512, 2 heads (dk 64); 2 x 8 tokens, 2 x 3 predictions
        assertEquals(new BenchGemm.Shape("attention projection [B·S,H]·[H,H]", 16, 128, 128), bench.shapes().get(0));
        assertEquals(new BenchGemm.Shape("feed-forward out [B·S,I]·[I,H]", 16, 512, 128), bench.shapes().get(2));
        assertEquals(new BenchGemm.Shape("MLM decoder [B·P,H]·[H,V]", 6, 128, 300), bench.shapes().get(4));
        assertEquals(new BenchGemm.Shape("attention scores [S,dk]·[dk,S]", 8, 64, 8), bench.shapes().get(5));
        assertEquals(2.0 * 16 * 128 * 128, bench.shapes().get(0).flops());
    }
}
