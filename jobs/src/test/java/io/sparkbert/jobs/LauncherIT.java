package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkbert.model.HugePages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/sparkbert as a user runs it: a separate JVM with the launcher's own flags and classpath (the demo: DemoIT). */
class LauncherIT {
    private static final Map<String, String> NO_BUILD = Map.of("SPARKBERT_NO_BUILD", "1");

    @TempDir
    Path dir;

    private static List<String> launcher(String... args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(ProjectFiles.root().resolve("bin").resolve("sparkbert").toString());
        command.addAll(List.of(args));
        return command;
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Processes.Result result = Processes.run(launcher("--help"), NO_BUILD, dir, 120);
        assertEquals(0, result.exitCode(), result.output());
        for (String command : List.of("tokenize", "vocab", "pretrain", "export", "bench", "demo")) {
            assertTrue(result.output().contains("  " + command + " "), command + " missing:\n" + result.output());
        }
        Processes.Result vocabHelp = Processes.run(launcher("vocab", "--help"), NO_BUILD, dir, 120);
        assertTrue(vocabHelp.output().contains("Default: 30522"), "defaults come from conf/:\n" + vocabHelp.output());
    }

    /**
     * The launcher records a class-data archive once for the jars of the build (the first launcher run of
     * a build may already have done it), and later JVMs load the classes from it instead of from the jars;
     * SPARKBERT_CDS=0 turns it off. (picocli's classes are Java 5 class files, which CDS does not take.)
     */
    @Test
    void startsFromAClassDataArchiveRecordedOncePerBuild() throws Exception {
        Path archive = ProjectFiles.root().resolve("jobs/target/sparkbert-classes.jsa");
        Processes.Result first = Processes.run(launcher("--version"), NO_BUILD, dir, 300);
        assertEquals(0, first.exitCode(), first.output());
        assertTrue(Files.size(archive) > 10_000_000, "archive of " + Files.size(archive) + " bytes");
        long recorded = Files.getLastModifiedTime(archive).toMillis();

        Path classLog = dir.resolve("classes.log");
        Processes.Result second = Processes.run(launcher("--version"), Map.of("SPARKBERT_NO_BUILD", "1",
                "SPARKBERT_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), dir, 120);
        assertEquals(0, second.exitCode(), second.output());
        assertFalse(second.output().contains("recording"), second.output());
        assertEquals(recorded, Files.getLastModifiedTime(archive).toMillis(), "recorded once");
        assertTrue(Files.readAllLines(classLog).stream().anyMatch(line -> line.contains("io.sparkbert.jobs.SparkBert ")
                && line.contains("shared objects file (top)")), "our main class loaded from the archive");

        Processes.Result off = Processes.run(launcher("--version"), Map.of("SPARKBERT_NO_BUILD", "1",
                "SPARKBERT_CDS", "0", "SPARKBERT_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), dir, 120);
        assertEquals(0, off.exitCode(), off.output());
        assertTrue(Files.readAllLines(classLog).stream().noneMatch(line -> line.contains("shared objects file (top)")),
                "SPARKBERT_CDS=0: no archive");
        assertTrue(Files.readAllLines(classLog).stream().anyMatch(line -> line.contains("io.sparkbert.jobs.SparkBert ")),
                "the log lists the classes");
    }

    /**
     * The launcher chooses OpenBLAS's kernels by the CPU's flags (SkylakeX with AVX-512, Haswell with AVX2, else
     * OpenBLAS's own choice), SPARKBERT_BLAS_KERNELS=inherit keeps the environment's OPENBLAS_CORETYPE and a
     * core name forces it; --version says which kernels run (the CPU's flags from test files).
     */
    @Test
    void choosesOpenBlasKernelsByTheCpuFlags() throws Exception {
        Path avx512 = dir.resolve("cpuinfo-avx512");
        Files.write(avx512, List.of("processor\t: 0", "flags\t\t: fpu sse avx2 fma avx512f avx512dq avx512cd avx512bw "
                + "avx512vl avx512_bf16"));
        Path avx2 = dir.resolve("cpuinfo-avx2");
        Files.write(avx2, List.of("processor\t: 0", "flags\t\t: fpu sse avx2 fma"));
        Path sse = dir.resolve("cpuinfo-sse");
        Files.write(sse, List.of("processor\t: 0", "flags\t\t: fpu sse sse4_2"));

        assertTrue(version(avx512, "Haswell", null).contains("OpenBLAS kernels: SkylakeX (OPENBLAS_CORETYPE)"));
        assertTrue(version(avx2, "", null).contains("OpenBLAS kernels: Haswell (OPENBLAS_CORETYPE)"));
        assertTrue(version(sse, "", null).contains("OpenBLAS kernels: chosen by OpenBLAS"));
        assertTrue(version(avx512, "Haswell", "inherit").contains("OpenBLAS kernels: Haswell (OPENBLAS_CORETYPE)"));
        assertTrue(version(avx2, "", "Zen").contains("OpenBLAS kernels: Zen (OPENBLAS_CORETYPE)"));
    }

    /**
     * The launcher asks glibc for transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1) beside the user's
     * other tunables, and leaves a hugetlb the user gave alone; the JVM's --version says what it got.
     */
    @Test
    void asksForHugePagesUnlessTheUserSaidOtherwise() throws Exception {
        String kernelMode = HugePages.kernelMode();
        assumeTrue("madvise".equals(kernelMode) || "always".equals(kernelMode),
                "the kernel's transparent huge pages are " + kernelMode);
        String advised = "native memory: transparent huge pages (glibc.malloc.hugetlb=1, the kernel's transparent "
                + "huge pages: " + kernelMode + ")";
        assertTrue(versionWith(Map.of("GLIBC_TUNABLES", "")).contains(advised));
        assertTrue(versionWith(Map.of("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")).contains(advised));
        String declined = versionWith(Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0"));
        assertTrue(declined.contains("madvise".equals(kernelMode) ? "native memory: 4 KiB pages"
                : "native memory: transparent huge pages (the kernel's transparent huge pages: always)"), declined);
    }

    private String versionWith(Map<String, String> env) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.putAll(NO_BUILD);
        Processes.Result result = Processes.run(launcher("--version"), all, dir, 120);
        assertEquals(0, result.exitCode(), result.output());
        return result.output();
    }

    private String version(Path cpuinfo, String inherited, String blasKernels) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("SPARKBERT_NO_BUILD", "1",
                "SPARKBERT_CPUINFO", cpuinfo.toString(), "OPENBLAS_CORETYPE", inherited));
        if (blasKernels != null) {
            env.put("SPARKBERT_BLAS_KERNELS", blasKernels);
        }
        Processes.Result result = Processes.run(launcher("--version"), env, dir, 120);
        assertEquals(0, result.exitCode(), result.output());
        return result.output();
    }
}
