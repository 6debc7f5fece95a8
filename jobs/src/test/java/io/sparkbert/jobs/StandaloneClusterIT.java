package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/sparkbert --master spark://… against a real Spark standalone master and worker (separate
 * JVMs on 127.0.0.1, started from the Maven classpath: no Spark distribution needed). The executor
 * gets our classes only from the shaded jar the launcher ships, and must give the same vocabulary
 * as embedded Spark.
 */
class StandaloneClusterIT {
    @TempDir
    Path dir;

    @Test
    void vocabOnAStandaloneClusterEqualsTheEmbeddedRun() throws Exception {
        Path target = ProjectFiles.root().resolve("jobs").resolve("target");
        String sparkClasspath = Files.readString(target.resolve("spark-classpath.txt")).trim();
        Path sparkHome = Files.createDirectories(dir.resolve("spark-home").resolve("jars")).getParent();
        Map<String, String> environment = new HashMap<>(Map.of(
                "SPARK_HOME", sparkHome.toString(),
                "SPARK_SCALA_VERSION", "2.12",
                "SPARK_DIST_CLASSPATH", sparkClasspath,
                "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARKBERT_NO_BUILD", "1"));
        int masterPort = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> opens = List.of(System.getProperty("sparkbert.java17.opens", "").trim().split("\\s+"));

        List<Process> cluster = new ArrayList<>();
        try {
            cluster.add(start(environment, dir.resolve("master.log"), java, opens, sparkClasspath,
                    "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                    Integer.toString(masterPort), "--webui-port", Integer.toString(freePort())));
            waitForPort(masterPort, 60_000);
            cluster.add(start(environment, dir.resolve("worker.log"), java, opens, sparkClasspath,
                    "org.apache.spark.deploy.worker.Worker", "spark://127.0.0.1:" + masterPort, "--host", "127.0.0.1",
                    "--cores", "1", "--memory", "1g", "--webui-port", Integer.toString(freePort())));

            Path corpus = ProjectFiles.corpus().resolve("kjv");
            Path onCluster = dir.resolve("cluster").resolve("vocab.txt");
            Processes.Result result = Processes.run(List.of(
                    ProjectFiles.root().resolve("bin").resolve("sparkbert").toString(), "vocab",
                    "--master", "spark://127.0.0.1:" + masterPort, "--spark-conf", "spark.executor.memory=768m",
                    "--input", corpus.toString(), "--output", onCluster.toString(), "--size", "3000"),
                    environment, dir, 300);
            assertEquals(0, result.exitCode(), result.output() + "\nworker log:\n"
                    + Files.readString(dir.resolve("worker.log")));

            Path embedded = dir.resolve("embedded").resolve("vocab.txt");
            assertEquals(0, Cli.run("vocab", "--input", corpus.toString(), "--output", embedded.toString(),
                    "--size", "3000", "--master", "local[2]").exitCode());
            assertArrayEquals(Files.readAllBytes(embedded), Files.readAllBytes(onCluster));
        } finally {
            for (Process process : cluster) {
                process.destroy();
            }
            for (Process process : cluster) {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    private static Process start(Map<String, String> environment, Path log, String java, List<String> opens,
                                 String classpath, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(opens);
        command.addAll(List.of("-Xmx512m", "-cp", classpath, mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        return builder.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void waitForPort(int port, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the Spark master did not listen on port " + port);
    }
}
