package io.sparkbert.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real Spark standalone master and worker for tests that need executors of their own: the
 * {@code local-cluster} command's {@link LocalCluster}, on a free port, with its state in the test's
 * directory.
 */
final class StandaloneCluster implements AutoCloseable {
    private final LocalCluster cluster;
    private final LocalCluster.State state;

    StandaloneCluster(Path dir, int workerCores, String workerMemory) throws Exception {
        this(dir, 1, workerCores, workerMemory);
    }

    StandaloneCluster(Path dir, int workers, int workerCores, String workerMemory) throws Exception {
        String sparkClasspath = Files.readString(ProjectFiles.root().resolve("jobs").resolve("target")
                .resolve("spark-classpath.txt")).trim();
        cluster = new LocalCluster(dir.resolve("local-cluster"), sparkClasspath, LocalCluster.java17OptionsOfThisJvm());
        state = cluster.start(new LocalCluster.Options(workers, workerCores, workerMemory, 0, 0, "512m", 120_000)).state();
    }

    String masterUrl() {
        return state.masterUrl();
    }

    /** The PID of worker daemon {@code n} (1-based). */
    long workerPid(int n) {
        return state.workerPids().get(n - 1);
    }

    /** The executor JVMs running now under worker {@code n} (1-based). */
    List<ProcessHandle> executors(int n) {
        return cluster.executors(n);
    }

    /** What a process needs to talk to this cluster (and to use bin/sparkbert without building). */
    Map<String, String> environment() {
        Map<String, String> environment = new HashMap<>(cluster.environment());
        environment.put("SPARKBERT_NO_BUILD", "1");
        return environment;
    }

    /** The daemons' logs and the executors' stderr, for assertions and failure messages. */
    String logs() throws IOException {
        return cluster.logs();
    }

    @Override
    public void close() throws Exception {
        cluster.stop();
    }
}
