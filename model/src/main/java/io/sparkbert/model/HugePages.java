package io.sparkbert.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether ND4J's native arrays get transparent huge pages, said once per JVM in the log (with the BLAS kernels)
 * and by {@code --version}. The first touch of a 4 KiB page costs a page fault: on the VMs we measure on that
 * ran at 0.3-0.4 GB/s, against ~11 GB/s for 2 MiB pages, and a training step touches fresh memory whenever the
 * C library maps some (the first step maps the whole working set, 1.7 GB at 128 tokens). glibc 2.35 and later
 * ask the kernel for huge pages on its heap and large mappings when told so by the tunable
 * {@code glibc.malloc.hugetlb=1} in {@code GLIBC_TUNABLES}, read when the process starts: bin/sparkbert sets it,
 * a cluster's executors take {@code spark.executorEnv.GLIBC_TUNABLES} (conf/spark.conf). The kernel grants them
 * when its THP mode ({@code /sys/kernel/mm/transparent_hugepage/enabled}) is {@code madvise} or {@code always}.
 */
public final class HugePages {
    private static final Logger LOG = LoggerFactory.getLogger(HugePages.class);
    /** The glibc tunable that makes malloc advise huge pages ({@code madvise(MADV_HUGEPAGE)}). */
    public static final String TUNABLE = "glibc.malloc.hugetlb";
    /** Where Linux says its transparent huge page mode, the chosen one in brackets. */
    public static final Path KERNEL_MODE_FILE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final Pattern CHOSEN = Pattern.compile("\\[(\\w+)]");

    private HugePages() {
    }

    /** The value of {@link #TUNABLE} in a {@code GLIBC_TUNABLES} string (colon-separated name=value), or null. */
    public static String tunable(String glibcTunables) {
        if (glibcTunables == null) {
            return null;
        }
        return Arrays.stream(glibcTunables.split(":")).filter(t -> t.startsWith(TUNABLE + "="))
                .reduce((first, last) -> last).map(t -> t.substring(TUNABLE.length() + 1)).orElse(null);
    }

    /** The kernel's THP mode (always, madvise, never) from the contents of {@link #KERNEL_MODE_FILE}, or null. */
    public static String kernelMode(String modeFileContents) {
        Matcher chosen = CHOSEN.matcher(modeFileContents == null ? "" : modeFileContents);
        return chosen.find() ? chosen.group(1) : null;
    }

    /** This machine's THP mode, or null where there is no such file (not Linux, or a kernel without THP). */
    public static String kernelMode() {
        try {
            return kernelMode(Files.readString(KERNEL_MODE_FILE));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The one line about a process with these tunables on a kernel in this THP mode (null: unknown). */
    public static String describe(String glibcTunables, String kernelMode) {
        String asked = tunable(glibcTunables);
        boolean advised = asked != null && !asked.equals("0");
        if (kernelMode == null) {
            return "native memory: no transparent huge pages on this system (" + KERNEL_MODE_FILE + " not found)";
        }
        String kernel = "the kernel's transparent huge pages: " + kernelMode;
        if (kernelMode.equals("never")) {
            return "native memory: 4 KiB pages (" + kernel + (advised ? ", so " + TUNABLE + "=" + asked
                    + " changes nothing)" : ")");
        }
        if (advised) {
            return "native memory: transparent huge pages (" + TUNABLE + "=" + asked + ", " + kernel + ")";
        }
        if (kernelMode.equals("always")) {
            return "native memory: transparent huge pages (" + kernel + ")";
        }
        return "native memory: 4 KiB pages (" + kernel + "; GLIBC_TUNABLES=" + TUNABLE
                + "=1, as bin/sparkbert and conf/spark.conf set it, gives ND4J's arrays huge pages)";
    }

    /** {@link #describe} for this process. */
    public static String describe() {
        return describe(System.getenv("GLIBC_TUNABLES"), kernelMode());
    }

    /** Logs {@link #describe()} (called once per JVM, by {@link BlasKernels#logOnce}). */
    static void log() {
        LOG.info(describe());
    }
}
