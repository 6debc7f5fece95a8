package io.sparkbert.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bin/sparkbert local-cluster start|stop|status}: a real Spark standalone cluster on 127.0.0.1. */
@Command(name = "local-cluster", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Start, inspect or stop a Spark standalone master and workers on 127.0.0.1, from this "
                + "checkout's own Spark classpath (no Spark distribution needed).",
            "start prints the --master spark://127.0.0.1:PORT to pass to any Spark command; it is idempotent. "
                + "status exits with 3 when no cluster is running. stop stops every daemon by its PID.",
            "PIDs, URLs, ports and logs are kept in the state directory."})
final class LocalClusterCommand implements Callable<Integer> {
    static final int NOT_RUNNING = 3;

    @Parameters(index = "0", paramLabel = "start|stop|status", description = "What to do.")
    String action;

    @Option(names = "--workers", paramLabel = "N", description = "Worker daemons.")
    int workers;

    @Option(names = "--cores-per-worker", paramLabel = "C", description = "Cores each worker offers.")
    int coresPerWorker;

    @Option(names = "--memory-per-worker", paramLabel = "M", description = "Memory each worker offers (e.g. 2g).")
    String memoryPerWorker;

    @Option(names = "--port", paramLabel = "P", description = "Master port (0 = any free port).")
    int port;

    @Option(names = "--webui-port", paramLabel = "P", description = "Master web UI port (0 = any free port).")
    int webUiPort;

    @Option(names = "--daemon-memory", paramLabel = "M", description = "Heap of the master and worker JVMs.")
    String daemonMemory;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "PIDs, URLs, logs and scratch space of the cluster (~ is your home directory).")
    String stateDir;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "How long start waits for the workers.")
    int timeoutSeconds;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = new LocalCluster(expandHome(stateDir), sparkClasspath(),
                LocalCluster.java17OptionsOfThisJvm());
        return switch (action.toLowerCase(Locale.ROOT)) {
            case "start" -> start(cluster);
            case "status" -> status(cluster);
            case "stop" -> stop(cluster);
            default -> throw new SparkBert.UserError("local-cluster: the action must be start, stop or status: "
                    + action);
        };
    }

    private int start(LocalCluster cluster) throws Exception {
        long begin = System.nanoTime();
        LocalCluster.Started started = cluster.start(new LocalCluster.Options(workers, coresPerWorker,
                memoryPerWorker, port, webUiPort, daemonMemory, timeoutSeconds * 1000L));
        if (started.alreadyRunning()) {
            System.out.println("local-cluster: already running (state in " + cluster.stateDir() + ")");
            return status(cluster);
        }
        System.out.printf(Locale.ROOT, "local-cluster: started a master and %d worker(s) in %.1f s%n",
                started.state().workerPids().size(), (System.nanoTime() - begin) / 1e9);
        return status(cluster);
    }

    private static int status(LocalCluster cluster) throws Exception {
        Optional<LocalCluster.Status> found = cluster.status();
        if (found.isEmpty()) {
            System.out.println("local-cluster: not running (no cluster state in " + cluster.stateDir() + ")");
            return NOT_RUNNING;
        }
        LocalCluster.Status status = found.get();
        LocalCluster.State state = status.state();
        if (!status.running()) {
            System.out.println("local-cluster: not running: its master (pid " + state.masterPid() + ") is gone; "
                    + "'local-cluster stop' cleans up, 'local-cluster start' starts a new one");
            return NOT_RUNNING;
        }
        System.out.println("local-cluster: running since " + state.started());
        System.out.println("  master:  " + state.masterUrl() + " (pid " + state.masterPid() + ")");
        System.out.println("  web UI:  " + state.webUiUrl());
        System.out.printf(Locale.ROOT, "  workers: %d of %d alive (%s), %d registered with the master; %d core(s) "
                        + "and %s each%n", status.workersAlive().size(), state.workerPids().size(),
                status.workersAlive().isEmpty() ? "none"
                        : "pid " + status.workersAlive().stream().map(String::valueOf).collect(Collectors.joining(", ")),
                Math.max(0, status.workersRegistered()), state.coresPerWorker(), state.memoryPerWorker());
        System.out.println("  logs:    " + cluster.stateDir().resolve("logs"));
        System.out.println("Use it with:  --master " + state.masterUrl());
        System.out.println("  e.g. bin/sparkbert vocab --master " + state.masterUrl()
                + " --input data/corpus --output work/vocab.txt");
        return 0;
    }

    private static int stop(LocalCluster cluster) throws Exception {
        long begin = System.nanoTime();
        if (cluster.status().isEmpty()) {
            System.out.println("local-cluster: not running (no cluster state in " + cluster.stateDir() + ")");
            return 0;
        }
        List<Long> stopped = cluster.stop();
        System.out.printf(Locale.ROOT, "local-cluster: stopped %d process(es) (pid %s) in %.1f s; logs kept in %s%n",
                stopped.size(), stopped.stream().map(String::valueOf).collect(Collectors.joining(", ")),
                (System.nanoTime() - begin) / 1e9, cluster.stateDir().resolve("logs"));
        return 0;
    }

    /** {@code ~} or {@code ~/x} → the user's home directory. */
    static Path expandHome(String dir) {
        if (dir.equals("~") || dir.startsWith("~/")) {
            return Path.of(System.getProperty("user.home"), dir.substring(1).replaceFirst("^/", ""));
        }
        return Path.of(dir);
    }

    /** Spark and its dependencies, as the build wrote them next to the launcher's classpath. */
    static String sparkClasspath() throws Exception {
        String home = System.getProperty("sparkbert.home");
        if (home == null || home.isBlank()) {
            throw new SparkBert.UserError("local-cluster runs from a checkout, through bin/sparkbert (it needs the "
                    + "Spark classpath the build writes to jobs/target/spark-classpath.txt)");
        }
        Path file = Path.of(home, "jobs", "target", "spark-classpath.txt");
        if (!Files.isRegularFile(file)) {
            throw new SparkBert.UserError(file + " is missing; build with 'mvn -DskipTests package'");
        }
        return Files.readString(file).trim();
    }
}
