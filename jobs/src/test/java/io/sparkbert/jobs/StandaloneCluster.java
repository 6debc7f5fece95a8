package io.sparkbert.jobs;

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

/**
 * A real Spark standalone master and worker, separate JVMs on 127.0.0.1, started from the Maven
 * classpath (no Spark distribution needed), for tests that need executors of their own.
 */
final class StandaloneCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, String> environment;
    private final Path dir;
    private final int masterPort;

    StandaloneCluster(Path dir, int workerCores, String workerMemory) throws Exception {
        this.dir = dir;
        Path target = ProjectFiles.root().resolve("jobs").resolve("target");
        String sparkClasspath = Files.readString(target.resolve("spark-classpath.txt")).trim();
        Path sparkHome = Files.createDirectories(dir.resolve("spark-home").resolve("jars")).getParent();
        environment = new HashMap<>(Map.of(
                "SPARK_HOME", sparkHome.toString(),
                "SPARK_SCALA_VERSION", "2.12",
                "SPARK_DIST_CLASSPATH", sparkClasspath,
                "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARKBERT_NO_BUILD", "1"));
        masterPort = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> opens = List.of(System.getProperty("sparkbert.java17.opens", "").trim().split("\\s+"));
        try {
            start(dir.resolve("master.log"), java, opens, sparkClasspath, "org.apache.spark.deploy.master.Master",
                    "--host", "127.0.0.1", "--port", Integer.toString(masterPort), "--webui-port",
                    Integer.toString(freePort()));
            waitForPort(masterPort, 60_000);
            start(dir.resolve("worker.log"), java, opens, sparkClasspath, "org.apache.spark.deploy.worker.Worker",
                    masterUrl(), "--host", "127.0.0.1", "--cores", Integer.toString(workerCores), "--memory",
                    workerMemory, "--work-dir", dir.resolve("work").toString(), "--webui-port",
                    Integer.toString(freePort()));
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** What a process needs to talk to this cluster (and to use bin/sparkbert without building). */
    Map<String, String> environment() {
        return environment;
    }

    /** The worker's log and its executors' stderr, for assertions and failure messages. */
    String logs() throws IOException {
        StringBuilder text = new StringBuilder(Files.readString(dir.resolve("worker.log")));
        Path work = dir.resolve("work");
        if (Files.isDirectory(work)) {
            try (var files = Files.walk(work)) {
                for (Path file : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                    text.append("\n--- ").append(dir.relativize(file)).append('\n').append(Files.readString(file));
                }
            }
        }
        return text.toString();
    }

    private void start(Path log, String java, List<String> opens, String classpath, String mainClass,
                       String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(opens);
        command.addAll(List.of("-Xmx512m", "-cp", classpath, mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        processes.add(builder.start());
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

    @Override
    public void close() throws InterruptedException {
        for (Process process : processes) {
            process.destroy();
        }
        for (Process process : processes) {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
