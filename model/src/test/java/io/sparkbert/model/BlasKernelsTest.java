package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlasKernelsTest {
    private static final Set<String> ZEN4 = Set.of("fma", "avx2", "avx512f", "avx512dq", "avx512cd", "avx512bw",
            "avx512vl", "avx512_bf16");
    private static final Set<String> ZEN3 = Set.of("fma", "avx2", "sse4_2");

    @TempDir
    Path dir;

    @Test
    void readsTheFlagsOfTheFirstProcessor() throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.write(cpuinfo, List.of("processor\t: 0", "model name\t: AMD EPYC",
                "flags\t\t: fpu sse avx2 avx512f avx512f avx512vl", "", "processor\t: 1", "flags\t\t: fpu mmx"));
        assertEquals(Set.of("fpu", "sse", "avx2", "avx512f", "avx512vl"), BlasKernels.cpuFlags(cpuinfo));
        assertEquals(Set.of(), BlasKernels.cpuFlags(dir.resolve("none")));
    }

    @Test
    void theFastestKernelsACpuHasTheInstructionsFor() {
        assertEquals("SkylakeX", BlasKernels.bestFor(ZEN4));
        assertEquals("Haswell", BlasKernels.bestFor(ZEN3));
        assertEquals(null, BlasKernels.bestFor(Set.of("sse4_2", "avx")));
        // a Xeon Phi has AVX-512 F and CD but neither BW nor VL: not the SkylakeX kernels' CPU
        assertEquals("Haswell", BlasKernels.bestFor(Set.of("avx2", "fma", "avx512f", "avx512cd", "avx512er")));
    }

    @Test
    void saysWhichKernelsRunAndWhenFasterOnesAreLeftUnused() {
        assertEquals("OpenBLAS kernels: SkylakeX (OPENBLAS_CORETYPE)", BlasKernels.describe("SkylakeX", ZEN4));
        assertTrue(BlasKernels.describe(null, ZEN4).contains("OPENBLAS_CORETYPE=SkylakeX"));
        assertTrue(BlasKernels.describe("", ZEN4).contains("spark.executorEnv.OPENBLAS_CORETYPE"));
        assertTrue(BlasKernels.describe(null, ZEN3).contains("OPENBLAS_CORETYPE=Haswell"));
        assertEquals("OpenBLAS kernels: chosen by OpenBLAS 0.3.19 for this CPU",
                BlasKernels.describe(null, Set.of("sse4_2")));
        assertTrue(BlasKernels.describe("Haswell", ZEN4).endsWith("multiply matrices up to 1.9x faster"));
        assertTrue(BlasKernels.describe("SkylakeX", ZEN3).endsWith("this CPU lacks the AVX-512 instructions they need"));
        assertEquals("OpenBLAS kernels: Haswell (OPENBLAS_CORETYPE)", BlasKernels.describe("Haswell", ZEN3));
    }
}
