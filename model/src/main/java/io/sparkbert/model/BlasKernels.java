package io.sparkbert.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which OpenBLAS kernels this JVM's matrix products run, said once per JVM in the log (the driver's and every
 * executor's) and by {@code --version}. ND4J M2.1 bundles OpenBLAS 0.3.19, which predates AMD Zen 3/4 and Intel
 * Sapphire Rapids: on a Zen 4 it picks its SSE3-era "Barcelona" kernels, where its AVX-512 ("SkylakeX") kernels
 * multiply bert-mini's matrices 4x as fast and its AVX2 ("Haswell") ones 2x (docs/performance.md, {@code bench
 * gemm}). The environment variable {@code OPENBLAS_CORETYPE} chooses them; OpenBLAS reads it when it loads, so it
 * can only be set for the process: bin/sparkbert sets it from the CPU's flags, a cluster's executors take
 * {@code spark.executorEnv.OPENBLAS_CORETYPE}. A JVM on an AVX-512 CPU without it gets a warning.
 */
public final class BlasKernels {
    private static final Logger LOG = LoggerFactory.getLogger(BlasKernels.class);
    /** The CPU flags OpenBLAS's SkylakeX kernels use. */
    public static final Set<String> AVX512_FLAGS = Set.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
    /** The CPU flags OpenBLAS's Haswell kernels use. */
    public static final Set<String> AVX2_FLAGS = Set.of("avx2", "fma");
    private static final AtomicBoolean SAID = new AtomicBoolean();

    private BlasKernels() {
    }

    /** The fastest OpenBLAS 0.3.19 kernels for a CPU with these flags (SkylakeX, Haswell), or null: its own choice. */
    public static String bestFor(Set<String> cpuFlags) {
        return cpuFlags.containsAll(AVX512_FLAGS) ? "SkylakeX" : cpuFlags.containsAll(AVX2_FLAGS) ? "Haswell" : null;
    }

    /** The one line about this process's kernels (see the class comment), from its environment and CPU flags. */
    public static String describe(String coreType, Set<String> cpuFlags) {
        String best = bestFor(cpuFlags);
        if (coreType == null || coreType.isBlank()) {
            return "OpenBLAS kernels: chosen by OpenBLAS 0.3.19 for this CPU" + (best == null ? ""
                    : " (it mistakes CPUs it predates, Zen 3/4 or Sapphire Rapids, for old ones); OPENBLAS_CORETYPE="
                    + best + " (on a cluster: spark.executorEnv.OPENBLAS_CORETYPE) runs the fastest this CPU has");
        }
        String chosen = "OpenBLAS kernels: " + coreType + " (OPENBLAS_CORETYPE)";
        boolean needsAvx512 = coreType.toLowerCase(Locale.ROOT).matches("skylakex|cooperlake|sapphirerapids");
        if (needsAvx512 && !cpuFlags.isEmpty() && !cpuFlags.containsAll(AVX512_FLAGS)) {
            return chosen + "; this CPU lacks the AVX-512 instructions they need";
        }
        if ("SkylakeX".equals(best) && !needsAvx512) {
            return chosen + "; this CPU has AVX-512, whose SkylakeX kernels multiply matrices up to 1.9x faster";
        }
        return chosen;
    }

    /** Logs {@link #describe} for this process once: at WARN when it leaves a CPU's AVX-512 unused, else INFO. */
    public static void logOnce() {
        if (!SAID.compareAndSet(false, true)) {
            return;
        }
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        Set<String> flags = cpuFlags(Path.of("/proc/cpuinfo"));
        String line = describe(coreType, flags);
        if ("SkylakeX".equals(bestFor(flags)) && !line.startsWith("OpenBLAS kernels: SkylakeX")) {
            LOG.warn(line);
        } else {
            LOG.info(line);
        }
        NativeBuild.log();
        HugePages.log();
    }

    /** The flags of the first processor in a /proc/cpuinfo file; empty where there is none (not Linux). */
    public static Set<String> cpuFlags(Path cpuinfo) {
        try {
            List<String> lines = Files.readAllLines(cpuinfo);
            return lines.stream().filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .collect(Collectors.toUnmodifiableSet())).orElse(Set.of());
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }
}
