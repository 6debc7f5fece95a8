package io.sparkbert.model;

import java.nio.file.Path;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which build of ND4J's native library (libnd4j) this JVM loads. ND4J M2.1 publishes several CPU builds of
 * {@code nd4j-native} for linux-x86_64, and JavaCPP loads the one named by the system property
 * {@code org.bytedeco.javacpp.platform.extension} (none: the generic x86-64 build). The application jar carries
 * two: the generic one and {@code linux-x86_64-onednn-avx512}, libnd4j compiled for AVX-512 with Intel's oneDNN
 * kernels for some ops. On bert-mini's training step (one core, batch 32) the oneDNN build ran softmax and its
 * backward pass about 4x as fast and the dropout masks' random draws 4x as fast, for 7-10% off a whole step
 * (docs/performance.md); matrix products are OpenBLAS's in both.
 *
 * <p>That build executes AVX-512 instructions, so it is chosen per machine, by the CPU's flags, before anything
 * loads ND4J: by {@code SparkBert.main} in the driver (and in local mode, its executors) and by
 * {@link NativeBuildPlugin} in every cluster executor. A property set by the user always wins (an empty value
 * forces the generic build). The choice is logged once per JVM with the BLAS kernels.
 */
public final class NativeBuild {
    private static final Logger LOG = LoggerFactory.getLogger(NativeBuild.class);

    /** The JavaCPP property that names the native build's classifier suffix. */
    public static final String PROPERTY = "org.bytedeco.javacpp.platform.extension";
    /** libnd4j with AVX-512 and oneDNN. */
    public static final String ONEDNN_AVX512 = "-onednn-avx512";

    private NativeBuild() {
    }

    /**
     * The build for a CPU with these flags: the oneDNN/AVX-512 one where the CPU has the AVX-512 subsets it is
     * compiled for (F, CD, BW, DQ, VL) and its library is on the class path, else the generic one ("").
     */
    public static String choose(Set<String> cpuFlags, boolean onednnAvx512OnClassPath) {
        return onednnAvx512OnClassPath && cpuFlags.containsAll(BlasKernels.AVX512_FLAGS) ? ONEDNN_AVX512 : "";
    }

    /** True if the libnd4j of build {@code extension} for linux-x86_64 is on this JVM's class path. */
    public static boolean onClassPath(String extension) {
        String resource = "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64" + extension + "/libnd4jcpu.so";
        return NativeBuild.class.getClassLoader().getResource(resource) != null;
    }

    /**
     * Sets {@link #PROPERTY} for this machine unless it is set already; call before ND4J is first used (a later
     * call changes nothing: JavaCPP reads the property when it loads the library).
     */
    public static void selectForThisMachine() {
        if (System.getProperty(PROPERTY) != null) {
            return;
        }
        String chosen = choose(BlasKernels.cpuFlags(Path.of("/proc/cpuinfo")), onClassPath(ONEDNN_AVX512));
        if (!chosen.isEmpty()) {
            System.setProperty(PROPERTY, chosen);
        }
    }

    /** The build this JVM loads (or will load), for the log and {@code --version}. */
    public static String describe() {
        String extension = System.getProperty(PROPERTY, "");
        return "libnd4j build: linux-x86_64" + extension + (extension.isEmpty() ? " (generic x86-64)" : "");
    }

    static void log() {
        LOG.info(describe());
    }
}
