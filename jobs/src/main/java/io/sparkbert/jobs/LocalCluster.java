package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.pipeline.util.LocalFiles;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone master and workers on 127.0.0.1, started from a Spark classpath alone (no Spark
 * distribution): {@code SPARK_HOME} is a folder with an empty {@code jars/}, {@code SPARK_DIST_CLASSPATH}
 * holds the Spark jars (which is how the workers' executors get Spark), {@code SPARK_SCALA_VERSION=2.12}
 * and {@code SPARK_LOCAL_IP=127.0.0.1}. Each daemon is its own JVM, detached from the process that
 * started it, so the cluster outlives {@code bin/sparkbert local-cluster start}.
 *
 * <p>Everything about a running cluster lives in its state directory: {@code cluster.properties} (PIDs,
 * master URL, ports, web UI, log files), {@code logs/} (one log per daemon), {@code work/} (the workers'
 * scratch space and executor logs) and {@code spark-home/}. The daemons are stopped by PID.
 */
public final class LocalCluster {
    static final String EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend";
    static final String HOST = "127.0.0.1";
    static final String MASTER_CLASS = "org.apache.spark.deploy.master.Master";
    static final String WORKER_CLASS = "org.apache.spark.deploy.worker.Worker";
    private static final String STATE_FILE = "cluster.properties";
    private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://\\S+)");
    private static final Pattern WEB_UI = Pattern.compile("Bound MasterWebUI to \\S+, and started at (http://\\S+)");

    /** How to start a cluster. Port 0 picks a free port; a web UI port of 0 lets Spark pick one. */
    public record Options(int workers, int coresPerWorker, String memoryPerWorker, int port, int webUiPort,
                          String daemonMemory, long timeoutMillis) {
        public Options {
            if (workers < 1) {
                throw new IllegalArgumentException("--workers must be at least 1: " + workers);
            }
            if (coresPerWorker < 1) {
                throw new IllegalArgumentException("--cores-per-worker must be at least 1: " + coresPerWorker);
            }
            if (!memoryPerWorker.matches("\\d+[kmgtKMGT]?")) {
                throw new IllegalArgumentException("--memory-per-worker must look like 1g or 1500m: "
                        + memoryPerWorker);
            }
        }
    }

    /** What {@code cluster.properties} records about a started cluster. */
    public record State(String masterUrl, String webUiUrl, long masterPid, List<Long> workerPids, int coresPerWorker,
                        String memoryPerWorker, String started, Path stateDir) {
        Properties toProperties() {
            Properties p = new Properties();
            p.setProperty("master.url", masterUrl);
            p.setProperty("master.webui", webUiUrl);
            p.setProperty("master.pid", Long.toString(masterPid));
            p.setProperty("master.log", "logs/master.log");
            p.setProperty("workers", Integer.toString(workerPids.size()));
            for (int i = 0; i < workerPids.size(); i++) {
                p.setProperty("worker." + (i + 1) + ".pid", Long.toString(workerPids.get(i)));
                p.setProperty("worker." + (i + 1) + ".log", "logs/worker-" + (i + 1) + ".log");
            }
            p.setProperty("worker.cores", Integer.toString(coresPerWorker));
            p.setProperty("worker.memory", memoryPerWorker);
            p.setProperty("started", started);
            return p;
        }

        static State fromProperties(Properties p, Path stateDir) {
            int workers = Integer.parseInt(p.getProperty("workers", "0"));
            List<Long> pids = new ArrayList<>();
            for (int i = 1; i <= workers; i++) {
                pids.add(Long.parseLong(p.getProperty("worker." + i + ".pid")));
            }
            return new State(p.getProperty("master.url"), p.getProperty("master.webui"),
                    Long.parseLong(p.getProperty("master.pid")), pids,
                    Integer.parseInt(p.getProperty("worker.cores", "0")), p.getProperty("worker.memory", "?"),
                    p.getProperty("started", "?"), stateDir);
        }

        /** The port of the master URL. */
        public int port() {
            return URI.create(masterUrl.replace("spark://", "http://")).getPort();
        }
    }

    /** A started cluster, and whether it was already running. */
    public record Started(State state, boolean alreadyRunning) {
    }

    /** What {@code status} finds: the recorded state, which daemons are alive, and what the master says. */
    public record Status(State state, boolean masterAlive, List<Long> workersAlive, int workersRegistered) {
        public boolean running() {
            return masterAlive;
        }
    }

    private final Path stateDir;
    private final String sparkClasspath;
    private final List<String> jvmOptions;

    /**
     * @param stateDir       where the cluster keeps its state, logs and scratch space
     * @param sparkClasspath Spark and its dependencies, nothing of ours (jobs/target/spark-classpath.txt)
     * @param jvmOptions     options for the daemons' JVMs (the Java 17 {@code --add-opens} flags)
     */
    public LocalCluster(Path stateDir, String sparkClasspath, List<String> jvmOptions) {
        this.stateDir = stateDir.toAbsolutePath().normalize();
        this.sparkClasspath = sparkClasspath;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** The Java 17 module flags of this JVM (bin/sparkbert and the test JVMs have Spark's list), to pass on. */
    public static List<String> java17OptionsOfThisJvm() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports")
                        || a.equals("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-Djdk.reflect."))
                .toList();
    }

    public Path stateDir() {
        return stateDir;
    }

    /** The environment a Spark daemon (or a spark-submit) needs to use this classpath as its Spark. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SPARK_HOME", stateDir.resolve("spark-home").toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_DIST_CLASSPATH", sparkClasspath);
        env.put("SPARK_LOCAL_IP", HOST);
        return env;
    }

    /** Starts master and workers and waits until every worker has registered; idempotent. */
    public Started start(Options options) throws IOException, InterruptedException {
        Optional<Status> current = status();
        if (current.isPresent()) {
            if (current.get().running()) {
                return new Started(current.get().state(), true);
            }
            stop(); // a stale state: its processes are gone (or half gone); clean up before starting afresh
        }
        Files.createDirectories(stateDir.resolve("spark-home").resolve("jars"));
        Path logs = Files.createDirectories(stateDir.resolve("logs"));
        Path work = Files.createDirectories(stateDir.resolve("work"));
        int port = options.port() == 0 ? freePort() : options.port();
        if (!portIsFree(port)) {
            throw new SparkBert.UserError("port " + port + " on " + HOST + " is in use; pass --port with a free "
                    + "port (0 picks one)");
        }
        long deadline = System.currentTimeMillis() + options.timeoutMillis();
        List<Process> started = new ArrayList<>();
        try {
            Path masterLog = logs.resolve("master.log");
            Process master = launch(masterLog, options.daemonMemory(), MASTER_CLASS, "--host", HOST, "--port",
                    Integer.toString(port), "--webui-port", Integer.toString(options.webUiPort()));
            started.add(master);
            String masterUrl = "spark://" + HOST + ":" + port;
            waitForPort(master, masterLog, port, deadline);
            String webUi = waitForLogLine(master, masterLog, WEB_UI, deadline);
            List<Long> workerPids = new ArrayList<>();
            for (int i = 1; i <= options.workers(); i++) {
                Path workDir = Files.createDirectories(work.resolve("worker-" + i));
                Process worker = launch(logs.resolve("worker-" + i + ".log"), options.daemonMemory(), WORKER_CLASS,
                        masterUrl, "--host", HOST, "--cores", Integer.toString(options.coresPerWorker()),
                        "--memory", options.memoryPerWorker(), "--work-dir", workDir.toString(),
                        "--webui-port", "0");
                started.add(worker);
                workerPids.add(worker.pid());
            }
            State state = new State(masterUrl, webUi, master.pid(), workerPids, options.coresPerWorker(),
                    options.memoryPerWorker(), Instant.now().toString(), stateDir);
            writeState(state);
            waitForWorkers(state, options.workers(), started, deadline);
            return new Started(state, false);
        } catch (IOException | InterruptedException | RuntimeException e) {
            stopAll(started.stream().map(Process::toHandle).toList());
            Files.deleteIfExists(stateDir.resolve(STATE_FILE));
            throw e;
        }
    }

    /** The recorded state with what is alive now, or empty if no cluster was started here. */
    public Optional<Status> status() throws IOException {
        Path file = stateDir.resolve(STATE_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        State state = State.fromProperties(p, stateDir);
        boolean masterAlive = isOurs(state.masterPid(), MASTER_CLASS);
        List<Long> alive = state.workerPids().stream().filter(pid -> isOurs(pid, WORKER_CLASS)).toList();
        int registered = masterAlive ? aliveWorkersAtMaster(state.webUiUrl()) : 0;
        return Optional.of(new Status(state, masterAlive, alive, registered));
    }

    /**
     * Stops the workers (and their executors), then the master, by PID; removes the state, the workers'
     * scratch space and spark-home (the logs stay). Returns the PIDs that were stopped.
     */
    public List<Long> stop() throws IOException, InterruptedException {
        Optional<Status> status = status();
        List<Long> stopped = new ArrayList<>();
        if (status.isPresent()) {
            State state = status.get().state();
            List<ProcessHandle> workers = new ArrayList<>();
            for (long pid : state.workerPids()) {
                handleIfOurs(pid, WORKER_CLASS).ifPresent(workers::add);
            }
            // workers first (with their executors, all at once), so the master sees them leave
            List<ProcessHandle> first = new ArrayList<>(workers);
            workers.forEach(worker -> worker.descendants().forEach(first::add));
            stopAll(first);
            workers.forEach(worker -> stopped.add(worker.pid()));
            Optional<ProcessHandle> master = handleIfOurs(state.masterPid(), MASTER_CLASS);
            if (master.isPresent()) {
                stopAll(List.of(master.get()));
                stopped.add(master.get().pid());
            }
        }
        Files.deleteIfExists(stateDir.resolve(STATE_FILE));
        LocalFiles.deleteRecursively(stateDir.resolve("work"));
        LocalFiles.deleteRecursively(stateDir.resolve("spark-home"));
        return stopped;
    }

    /** The daemons' logs and the executors' stderr, for failure messages. */
    public String logs() throws IOException {
        StringBuilder text = new StringBuilder();
        for (String dir : List.of("logs", "work")) {
            Path root = stateDir.resolve(dir);
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".log")
                        || f.getFileName().toString().equals("stderr")).sorted().toList()) {
                    text.append("\n--- ").append(stateDir.relativize(file)).append('\n')
                            .append(Files.readString(file, StandardCharsets.UTF_8));
                }
            }
        }
        return text.toString();
    }

    private Process launch(Path log, String daemonMemory, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        // setsid: the daemon leaves the terminal's session, so closing the terminal does not stop the cluster
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid");
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-Xmx" + daemonMemory, "-cp", sparkClasspath, mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(stateDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment());
        return builder.start();
    }

    private void writeState(State state) throws IOException {
        LocalFiles.writeAtomically(stateDir.resolve(STATE_FILE), out -> state.toProperties().store(out,
                "sparkbert local-cluster (bin/sparkbert local-cluster status|stop)"));
    }

    private void waitForWorkers(State state, int workers, List<Process> processes, long deadline)
            throws IOException, InterruptedException {
        while (System.currentTimeMillis() < deadline) {
            for (Process process : processes) {
                if (!process.isAlive()) {
                    throw new IOException("a Spark daemon (pid " + process.pid() + ") exited with code "
                            + process.exitValue() + " while the cluster was starting; see the logs in "
                            + stateDir.resolve("logs") + logTail());
                }
            }
            if (aliveWorkersAtMaster(state.webUiUrl()) >= workers) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IOException("the workers did not register with the master in time; see the logs in "
                + stateDir.resolve("logs") + logTail());
    }

    private String logTail() throws IOException {
        String logs = logs();
        return logs.isEmpty() ? "" : ":\n" + logs.substring(Math.max(0, logs.length() - 4000));
    }

    /** ALIVE workers as the master's web UI JSON reports them (-1 if it cannot be asked). */
    static int aliveWorkersAtMaster(String webUiUrl) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(webUiUrl + "/json/").toURL().openConnection();
            connection.setConnectTimeout(2000);
            connection.setReadTimeout(5000);
            try (InputStream in = connection.getInputStream()) {
                JsonNode json = new ObjectMapper().readTree(in);
                return json.path("aliveworkers").asInt(-1);
            } finally {
                connection.disconnect();
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void waitForPort(Process master, Path log, int port, long deadline)
            throws IOException, InterruptedException {
        while (System.currentTimeMillis() < deadline) {
            if (!master.isAlive()) {
                throw new IOException("the Spark master exited with code " + master.exitValue() + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            try (Socket ignored = new Socket(HOST, port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IOException("the Spark master did not listen on port " + port + " in time; see " + log);
    }

    private static String waitForLogLine(Process process, Path log, Pattern pattern, long deadline)
            throws IOException, InterruptedException {
        while (System.currentTimeMillis() < deadline) {
            Matcher matcher = pattern.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (matcher.find()) {
                return matcher.group(1);
            }
            if (!process.isAlive()) {
                throw new IOException("the Spark master exited with code " + process.exitValue() + "; see " + log);
            }
            Thread.sleep(100);
        }
        throw new IOException("the Spark master did not report its web UI in time; see " + log);
    }

    /**
     * Alive, running the expected main class, started in this state directory: a PID reused by some other
     * program, or a daemon of another state directory, is not ours.
     */
    /** The executor JVMs running now under worker {@code n} (1-based), or under any worker for 0. */
    public List<ProcessHandle> executors(int n) {
        Path work = (n == 0 ? stateDir.resolve("work") : stateDir.resolve("work").resolve("worker-" + n))
                .toAbsolutePath();
        return ProcessHandle.allProcesses().filter(handle -> {
            Path proc = Path.of("/proc", Long.toString(handle.pid()));
            try {   // the whole command line: ProcessHandle.Info cuts it at 4 KB, before the main class
                return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                        .contains(EXECUTOR_CLASS) && Files.readSymbolicLink(proc.resolve("cwd")).startsWith(work);
            } catch (IOException | RuntimeException e) {
                return false;   // gone, not ours to read, or not Linux
            }
        }).toList();
    }

    private boolean isOurs(long pid, String mainClass) {
        return handleIfOurs(pid, mainClass).isPresent();
    }

    private Optional<ProcessHandle> handleIfOurs(long pid, String mainClass) {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(handle -> {
            Path proc = Path.of("/proc", Long.toString(pid));
            if (Files.isDirectory(proc)) { // Linux: the whole command line (ProcessHandle.Info cuts it at 4 KB)
                try {
                    String commandLine = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
                    return commandLine.contains(mainClass)
                            && Files.readSymbolicLink(proc.resolve("cwd")).equals(stateDir);
                } catch (IOException | SecurityException e) {
                    return false;
                }
            }
            return handle.info().commandLine().map(line -> line.contains(mainClass)).orElse(true);
        });
    }

    /** SIGTERM to all (Spark's shutdown hooks run), then SIGKILL to any still alive after 20 s. */
    private static void stopAll(List<ProcessHandle> processes) throws InterruptedException {
        processes.forEach(ProcessHandle::destroy);
        long deadline = System.currentTimeMillis() + 20_000;
        for (ProcessHandle process : processes) {
            waitForExit(process, deadline);
        }
        for (ProcessHandle process : processes) {
            if (process.isAlive()) {
                process.destroyForcibly();
                waitForExit(process, System.currentTimeMillis() + 10_000);
            }
        }
    }

    private static void waitForExit(ProcessHandle process, long deadline) throws InterruptedException {
        try {
            process.onExit().get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException notYet) {
            // the caller decides
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static boolean portIsFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getByName(HOST))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
