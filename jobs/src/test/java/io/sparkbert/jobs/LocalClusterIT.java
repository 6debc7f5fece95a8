package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/sparkbert local-cluster as a user runs it: start (twice), a Spark command on it, status, stop. */
class LocalClusterIT {
    private static final Map<String, String> NO_BUILD = Map.of("SPARKBERT_NO_BUILD", "1");

    @TempDir
    Path dir;

    private Processes.Result sparkbert(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProjectFiles.root().resolve("bin").resolve("sparkbert").toString());
        command.addAll(List.of(args));
        return Processes.run(command, NO_BUILD, dir, 300);
    }

    @Test
    void startRunStatusStop() throws Exception {
        String state = dir.resolve("state").toString();
        long begin = System.nanoTime();
        Processes.Result start = sparkbert("local-cluster", "start", "--workers", "2", "--cores-per-worker", "1",
                "--memory-per-worker", "1g", "--port", "0", "--webui-port", "0", "--state-dir", state);
        double startSeconds = (System.nanoTime() - begin) / 1e9;
        assertEquals(0, start.exitCode(), start.output());
        Matcher url = Pattern.compile("--master (spark://127\\.0\\.0\\.1:\\d+)").matcher(start.output());
        assertTrue(url.find(), start.output());
        String master = url.group(1);
        assertTrue(start.output().contains("workers: 2 of 2 alive"), start.output());

        Processes.Result again = sparkbert("local-cluster", "start", "--state-dir", state);
        assertEquals(0, again.exitCode(), again.output());
        assertTrue(again.output().contains("already running"), again.output());
        assertTrue(again.output().contains("--master " + master), again.output());

        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(state, "cluster.properties"))) {
            properties.load(in);
        }
        List<Long> pids = properties.stringPropertyNames().stream().filter(k -> k.endsWith(".pid"))
                .map(k -> Long.parseLong(properties.getProperty(k))).toList();
        assertEquals(3, pids.size());

        // a Spark command on the cluster: its executors run in the workers' scratch space
        Path vocab = dir.resolve("out").resolve("vocab.txt");
        Processes.Result run = sparkbert("vocab", "--master", master, "--spark-conf", "spark.executor.memory=512m",
                "--input", ProjectFiles.corpus().resolve("kjv").resolve("03-ruth.txt").toString(),
                "--output", vocab.toString(), "--size", "500");
        assertEquals(0, run.exitCode(), run.output());
        assertEquals(500, Files.readAllLines(vocab).size());
        for (String worker : List.of("worker-1", "worker-2")) {
            try (Stream<Path> apps = Files.list(Path.of(state, "work", worker))) {
                assertTrue(apps.anyMatch(p -> p.getFileName().toString().startsWith("app-")),
                        "an executor ran on " + worker);
            }
        }

        Processes.Result status = sparkbert("local-cluster", "status", "--state-dir", state);
        assertEquals(0, status.exitCode(), status.output());
        assertTrue(status.output().contains("master:  " + master), status.output());

        begin = System.nanoTime();
        Processes.Result stop = sparkbert("local-cluster", "stop", "--state-dir", state);
        double stopSeconds = (System.nanoTime() - begin) / 1e9;
        assertEquals(0, stop.exitCode(), stop.output());
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " still alive");
        }
        assertFalse(Files.exists(Path.of(state, "cluster.properties")));
        assertFalse(Files.exists(Path.of(state, "work")));
        assertTrue(Files.exists(Path.of(state, "logs", "master.log")), "logs are kept");
        assertEquals(LocalClusterCommand.NOT_RUNNING,
                sparkbert("local-cluster", "status", "--state-dir", state).exitCode());
        System.out.printf("local-cluster: start %.1f s, stop %.1f s (wall, including the launcher's JVM)%n",
                startSeconds, stopSeconds);
    }
}
