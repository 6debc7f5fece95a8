package io.sparkbert.jobs.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A finished child process: exit code, wall seconds, peak resident memory (VmHWM, polled). */
public record ChildRun(int exitCode, double seconds, long peakBytes) {

    /**
     * The command line of a child JVM like this one (same java, JVM flags and classpath: the launcher's settings)
     * running {@code mainClass}: pinned to cores 0..cores-1 with taskset when {@code cores > 0} and taskset exists,
     * with heap {@code heap} when it is not null. Profiling agents and flight recordings are not inherited.
     */
    public static List<String> javaCommand(int cores, String heap, String mainClass) {
        List<String> command = new ArrayList<>();
        if (cores > 0 && Files.isExecutable(Path.of("/usr/bin/taskset"))
                && cores <= Runtime.getRuntime().availableProcessors()) {
            command.addAll(List.of("/usr/bin/taskset", "-c", cores == 1 ? "0" : "0-" + (cores - 1)));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !(heap != null && a.startsWith("-Xmx")) && !a.startsWith("-agent")
                        && !a.startsWith("-XX:StartFlight"))
                .toList());
        if (heap != null) {
            command.add("-Xmx" + heap);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        return command;
    }

    /**
     * The environment bin/sparkbert sets for ND4J's native memory, OpenMP threads and OpenBLAS kernels: ours, so a
     * peer (PyTorch through DJL, GloVe's C tools) runs without it, with its own defaults, as its users run it.
     */
    public static final List<String> LAUNCHER_ENV = List.of("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
            "MALLOC_TOP_PAD_", "GLIBC_TUNABLES", "OMP_WAIT_POLICY", "OPENBLAS_CORETYPE");

    public static ChildRun of(List<String> command, Path stdin, Path stdout) throws Exception {
        return of(command, stdin, stdout, List.of());
    }

    /** Runs {@code command} without the environment variables {@code unset}. */
    public static ChildRun of(List<String> command, Path stdin, Path stdout, List<String> unset) throws Exception {
        return of(command, stdin, stdout, unset, Map.of());
    }

    /** Runs {@code command} without the environment variables {@code unset} and with {@code set}. */
    public static ChildRun of(List<String> command, Path stdin, Path stdout, List<String> unset, Map<String, String> set)
            throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(stdin == null);
        unset.forEach(builder.environment()::remove);
        builder.environment().putAll(set);
        if (stdin != null) {
            builder.redirectInput(stdin.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        builder.redirectOutput(stdout.toFile());
        long start = System.nanoTime();
        Process process = builder.start();
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        long peak = 0;
        while (!process.waitFor(20, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            peak = Math.max(peak, statusBytes(status, "VmHWM:"));
        }
        return new ChildRun(process.exitValue(), (System.nanoTime() - start) / 1e9, peak);
    }

    /** A size field of /proc/PID/status ("VmHWM:", "VmRSS:") in bytes; 0 if the process is gone or not on Linux. */
    public static long statusBytes(Path status, String field) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not Linux
        }
        return 0;
    }
}
