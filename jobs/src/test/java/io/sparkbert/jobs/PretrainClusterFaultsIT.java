package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.BlasKernels;
import io.sparkbert.model.NativeBuild;
import io.sparkbert.model.checkpoint.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pretraining on a real cluster, undisturbed and under injected faults: a Spark standalone master and two
 * workers (1 core each) on 127.0.0.1, spark-submit of the shaded jar, 2 data-parallel workers. A round's tasks
 * are deterministic (batches and dropout seeded by step and worker), so whatever Spark has to rerun, every
 * value the run logs must equal the undisturbed run's:
 * <ol>
 *   <li>undisturbed: the loss falls, checkpoints appear, the executors got ND4J limits derived from their
 *       memory settings;</li>
 *   <li>an executor JVM killed (SIGKILL) in the middle of the run: Spark reruns its tasks, the run finishes;</li>
 *   <li>the driver killed and the same command rerun: it resumes from the latest checkpoint;</li>
 *   <li>a worker daemon killed with its executor: the run goes on with the other worker;</li>
 *   <li>the last worker killed too: the run stops after {@code --executor-wait} with one clear line, and its
 *       latest checkpoint reads back whole.</li>
 * </ol>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PretrainClusterFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> THROUGHPUT = List.of("samples_per_sec", "tokens_per_sec", "step_samples_per_sec",
            "wall_sec", "step_sec");
    private static final int STEPS = 30;

    @TempDir
    static Path dir;
    private Path samples;
    private StandaloneCluster cluster;
    private List<JsonNode> undisturbed;

    @BeforeAll
    void clusterAndData() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Path kjv = ProjectFiles.corpus().resolve("kjv");
        Files.copy(kjv.resolve("03-ruth.txt"), corpus.resolve("03-ruth.txt"));
        Files.copy(kjv.resolve("08-mark.txt"), corpus.resolve("08-mark.txt"));
        Path vocab = dir.resolve("vocab.txt");
        assertEquals(0, Cli.run("vocab", "--input", corpus.toString(), "--output", vocab.toString(), "--size", "500",
                "--master", "local[2]").exitCode());
        samples = dir.resolve("samples");
        assertEquals(0, Cli.run("preprocess", "--input", corpus.toString(), "--output", samples.toString(), "--vocab",
                vocab.toString(), "--max-seq-length", "32", "--max-predictions", "5", "--dupe-factor", "2",
                "--master", "local[2]").exitCode());
        cluster = new StandaloneCluster(dir.resolve("cluster"), 2, 1, "2g");
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private List<String> pretrain(Path run, String... extra) throws Exception {
        List<String> spark = List.of("--master", cluster.masterUrl(), "--conf", "spark.driver.host=127.0.0.1",
                "--executor-memory", "1g", "--conf", "spark.executor.memoryOverhead=1g");
        List<String> app = new ArrayList<>(List.of("pretrain", "--data", samples.toString(), "--output",
                run.toString(), "--preset", "tiny", "--steps", Integer.toString(STEPS), "--workers", "2",
                "--batch-size-per-worker", "16", "--averaging-frequency", "5", "--learning-rate", "2e-3",
                "--warmup-steps", "5", "--eval-fraction", "0.05", "--eval-every", "15", "--checkpoint-every", "15",
                "--eval-max-samples", "128"));
        app.addAll(List.of(extra));
        return SparkSubmit.command(spark, app);
    }

    @Test
    @Order(1)
    void undisturbedRunLearnsAndCheckpoints() throws Exception {
        Path run = dir.resolve("undisturbed");
        Processes.Result result = Processes.run(pretrain(run), cluster.environment(), dir, 900);
        assertEquals(0, result.exitCode(), result.output() + "\n" + cluster.logs());
        undisturbed = metrics(run);
        for (int worker = 1; worker <= 2; worker++) {
            try (Stream<Path> files = Files.walk(dir.resolve("cluster/local-cluster/work/worker-" + worker))) {
                List<Path> stderr = files.filter(p -> p.getFileName().toString().equals("stderr")).toList();
                assertFalse(stderr.isEmpty(), "an executor ran on worker " + worker);
                String launch = Files.readString(stderr.get(0));
                // 1g heap + 1g overhead: the process gets the sum less the least headroom (256 MiB); ND4J the
                // overhead less the JVM's 768 MiB reserve, but at least half the overhead: max(256, 512) MiB
                assertTrue(launch.contains("-Dorg.bytedeco.javacpp.maxbytes=" + 512L * 1024 * 1024)
                        && launch.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + 1792L * 1024 * 1024),
                        "the executor's launch command carries ND4J's limits:\n" + launch.lines().limit(3).toList());
                // NativeBuildPlugin chose the executor's libnd4j by its CPU before ND4J loaded
                String build = "libnd4j build: linux-x86_64" + NativeBuild.choose(
                        BlasKernels.cpuFlags(Path.of("/proc/cpuinfo")), NativeBuild.onClassPath(NativeBuild.ONEDNN_AVX512));
                assertTrue(launch.lines().anyMatch(l -> l.endsWith(build) || l.contains(build + " (generic")),
                        "the executor's log says " + build);
            }
        }
        List<JsonNode> steps = undisturbed.stream().filter(n -> n.has("loss")).toList();
        assertEquals(STEPS, steps.size());
        double first = steps.subList(0, 5).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        double last = steps.subList(25, 30).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        System.out.printf("2-worker cluster: loss %.4f (steps 1-5) -> %.4f (steps 26-30), %.1f samples/s%n", first, last,
                steps.get(29).get("samples_per_sec").asDouble());
        assertTrue(last < first - 0.3, "loss falls: " + first + " -> " + last);
        assertEquals(STEPS, latestCheckpoint(run).graph().getIterationCount());
    }

    @Test
    @Order(2)
    void executorKilledMidRunChangesNoValue() throws Exception {
        Path run = dir.resolve("executor-killed");
        Process driver = start(pretrain(run), run.resolveSibling("executor-killed.log"));
        awaitStep(driver, run, 10);
        Thread.sleep(300);     // into the next round
        List<ProcessHandle> executors = cluster.executors(1);
        assertEquals(1, executors.size(), "one executor on worker 1");
        executors.get(0).destroyForcibly();
        System.out.println("killed executor " + executors.get(0).pid() + " of worker 1 after step 10");
        String output = finish(driver, run.resolveSibling("executor-killed.log"));
        assertTrue(output.contains("lost"), "the driver says an executor was lost:\n" + output);
        assertSameValues(undisturbed, metrics(run));
    }

    @Test
    @Order(3)
    void killedDriverOnTheClusterResumes() throws Exception {
        Path run = dir.resolve("driver-killed");
        Process driver = start(pretrain(run), run.resolveSibling("driver-killed.log"));
        awaitStep(driver, run, 20);     // past the checkpoint at step 15
        driver.descendants().forEach(ProcessHandle::destroyForcibly);
        driver.destroyForcibly();
        driver.waitFor(60, TimeUnit.SECONDS);
        Processes.Result resumed = Processes.run(pretrain(run), cluster.environment(), dir, 900);
        assertEquals(0, resumed.exitCode(), resumed.output());
        assertTrue(resumed.output().contains("resuming"), resumed.output());
        assertSameValues(undisturbed, metrics(run));
    }

    @Test
    @Order(4)
    void killedWorkerLeavesTheRunToTheOther() throws Exception {
        Path run = dir.resolve("worker-killed");
        Process driver = start(pretrain(run), run.resolveSibling("worker-killed.log"));
        awaitStep(driver, run, 10);
        Thread.sleep(300);
        List<ProcessHandle> executors = cluster.executors(2);
        ProcessHandle.of(cluster.workerPid(2)).orElseThrow().destroyForcibly();
        executors.forEach(ProcessHandle::destroyForcibly);
        System.out.println("killed worker 2 and its executor(s) " + executors.stream().map(ProcessHandle::pid).toList());
        String output = finish(driver, run.resolveSibling("worker-killed.log"));
        assertTrue(output.contains("lost"), "the driver says an executor was lost:\n" + output);
        assertSameValues(undisturbed, metrics(run));
    }

    @Test
    @Order(5)
    void noExecutorLeftStopsWithAClearError() throws Exception {
        Path run = dir.resolve("all-lost");
        Path log = run.resolveSibling("all-lost.log");
        Process driver = start(pretrain(run, "--executor-wait", "15"), log);
        awaitStep(driver, run, 20);     // past the checkpoint at step 15
        List<ProcessHandle> executors = cluster.executors(1);
        ProcessHandle.of(cluster.workerPid(1)).orElseThrow().destroyForcibly();
        executors.forEach(ProcessHandle::destroyForcibly);
        long killed = System.nanoTime();
        assertTrue(driver.waitFor(180, TimeUnit.SECONDS), "the run ends on its own once no executor is left");
        double seconds = (System.nanoTime() - killed) / 1e9;
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.printf("no executor left: the run stopped %.0f s after the last worker was killed%n", seconds);
        assertEquals(2, driver.exitValue(), output);
        String error = output.lines().filter(l -> l.startsWith("sparkbert pretrain: ")).findFirst().orElse("");
        assertTrue(error.contains("no Spark executor for 15 s") && error.contains("rerun the same command"),
                "one clear line:\n" + output);
        assertTrue(latestCheckpoint(run).graph().getIterationCount() >= 15, "the latest checkpoint reads back");
    }

    private Process start(List<String> command, Path log) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(cluster.environment());
        return builder.start();
    }

    /** Waits until the run has logged {@code step} (within 10 minutes, while it runs). */
    private static void awaitStep(Process driver, Path run, int step) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (driver.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(run.resolve("metrics.jsonl"))
                    && metrics(run).stream().anyMatch(n -> n.path("step").asInt() >= step)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the run did not reach step " + step + " (alive: " + driver.isAlive() + ")");
    }

    private String finish(Process driver, Path log) throws Exception {
        boolean ended = driver.waitFor(15, TimeUnit.MINUTES);
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(ended, "the run ends:\n" + output);
        assertEquals(0, driver.exitValue(), output + "\n" + cluster.logs());
        return output;
    }

    private static Checkpoint.Loaded latestCheckpoint(Path run) throws Exception {
        String latest = Files.readString(run.resolve("checkpoints").resolve("latest")).strip();
        return Checkpoint.read(run.resolve("checkpoints").resolve(latest));
    }

    private static List<JsonNode> metrics(Path run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    /** Every logged value but the throughput figures is the same, line for line. */
    private static void assertSameValues(List<JsonNode> expected, List<JsonNode> actual) {
        assertEquals(expected.size(), actual.size(), "metric lines");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode a = expected.get(i);
            JsonNode b = actual.get(i);
            for (var it = a.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!THROUGHPUT.contains(field)) {
                    assertEquals(a.get(field).asDouble(), b.get(field).asDouble(),
                            field + " of line " + (i + 1) + " (step " + a.path("step") + ")");
                }
            }
        }
    }
}
