package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Which libnd4j build a machine gets, and that the AVX-512/oneDNN build trains as the generic one does. */
class NativeBuildTest {

    @Test
    void theOnednnBuildOnlyWhereTheCpuHasAllTheAvx512ItIsCompiledFor() {
        Set<String> zen4 = Set.of("sse4_2", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
        assertEquals(NativeBuild.ONEDNN_AVX512, NativeBuild.choose(zen4, true));
        assertEquals("", NativeBuild.choose(zen4, false), "not on the class path (a CUDA build): the generic one");
        assertEquals("", NativeBuild.choose(Set.of("sse4_2", "avx2", "fma"), true), "AVX2 only");
        assertEquals("", NativeBuild.choose(Set.of("avx2", "fma", "avx512f", "avx512cd"), true),
                "AVX-512 F and CD without BW, DQ, VL (Xeon Phi)");
        assertEquals("", NativeBuild.choose(Set.of(), true), "no /proc/cpuinfo");
    }

    /**
     * Three training steps of a small float BERT with dropout, each in a JVM of its own, with the generic build
     * and with the one chosen for this machine: the chosen library is the one loaded, and the losses agree to
     * float precision (the two builds sum in different orders). Where this CPU has no AVX-512 both runs are
     * the generic build and only the first part can be checked.
     */
    @Test
    void theBuildChosenForThisMachineIsLoadedAndTrainsAsTheGenericOne() throws Exception {
        String chosen = NativeBuild.choose(BlasKernels.cpuFlags(Path.of("/proc/cpuinfo")),
                NativeBuild.onClassPath(NativeBuild.ONEDNN_AVX512));
        List<String> generic = probe("");
        List<String> selected = probe(null);
        assertTrue(library(generic).endsWith("/linux-x86_64/libnd4jcpu.so"), library(generic));
        assertTrue(library(selected).endsWith("/linux-x86_64" + chosen + "/libnd4jcpu.so"), library(selected));
        double[] a = losses(generic);
        double[] b = losses(selected);
        assertEquals(3, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-5 * Math.abs(a[i]), "loss of step " + i + ": " + Arrays.toString(a)
                    + " vs " + Arrays.toString(b));
        }
        assumeTrue(!chosen.isEmpty(), "this CPU has no AVX-512: the oneDNN build was not exercised");
    }

    /** Runs {@link NativeBuildProbe}; {@code extension} null lets it choose, else names the build. */
    private static List<String> probe(String extension) throws Exception {
        List<String> options = extension == null ? List.of() : List.of("-D" + NativeBuild.PROPERTY + "=" + extension);
        return ChildJvm.run(NativeBuildProbe.class, "1g", options, Map.of()).lines()
                .filter(l -> l.startsWith("library ") || l.startsWith("loss ")).toList();
    }

    private static String library(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("library ")).findFirst().orElse("(none loaded)");
    }

    private static double[] losses(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("loss ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[2]))
                .toArray();
    }
}
