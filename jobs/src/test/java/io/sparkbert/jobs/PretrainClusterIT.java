package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.checkpoint.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole training path on a real cluster: a Spark standalone master and two workers (1 core each) on
 * 127.0.0.1, started from the Maven classpath; spark-submit of the shaded jar runs preprocess and then
 * pretrain (2 data-parallel workers, one per executor). The loss falls and a checkpoint appears; the daemons
 * are stopped by PID.
 */
class PretrainClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void preprocessThenPretrainOnATwoWorkerCluster() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Path kjv = ProjectFiles.corpus().resolve("kjv");
        Files.copy(kjv.resolve("03-ruth.txt"), corpus.resolve("03-ruth.txt"));
        Files.copy(kjv.resolve("08-mark.txt"), corpus.resolve("08-mark.txt"));
        Path vocab = dir.resolve("vocab.txt");
        assertEquals(0, Cli.run("vocab", "--input", corpus.toString(), "--output", vocab.toString(), "--size", "500",
                "--master", "local[2]").exitCode());
        Path samples = dir.resolve("samples");
        Path run = dir.resolve("run");
        try (StandaloneCluster cluster = new StandaloneCluster(dir.resolve("cluster"), 2, 1, "2g")) {
            List<String> spark = List.of("--master", cluster.masterUrl(), "--conf", "spark.driver.host=127.0.0.1",
                    "--executor-memory", "1g", "--conf", "spark.executor.memoryOverhead=1g");
            Processes.Result preprocess = Processes.run(SparkSubmit.command(spark, List.of("preprocess", "--input",
                    corpus.toString(), "--output", samples.toString(), "--vocab", vocab.toString(),
                    "--max-seq-length", "32", "--max-predictions", "5", "--dupe-factor", "2")),
                    cluster.environment(), dir, 600);
            assertEquals(0, preprocess.exitCode(), preprocess.output() + "\n" + cluster.logs());

            Processes.Result pretrain = Processes.run(SparkSubmit.command(spark, List.of("pretrain", "--data",
                    samples.toString(), "--output", run.toString(), "--preset", "tiny", "--steps", "30",
                    "--workers", "2", "--batch-size-per-worker", "16", "--averaging-frequency", "5",
                    "--learning-rate", "2e-3", "--warmup-steps", "5", "--eval-fraction", "0.05", "--eval-every", "15",
                    "--checkpoint-every", "15", "--eval-max-samples", "128")), cluster.environment(), dir, 900);
            assertEquals(0, pretrain.exitCode(), pretrain.output() + "\n" + cluster.logs());
            for (String worker : List.of("worker-1", "worker-2")) {
                try (var apps = Files.list(dir.resolve("cluster").resolve("local-cluster").resolve("work").resolve(worker))) {
                    assertTrue(apps.anyMatch(p -> p.getFileName().toString().startsWith("app-")),
                            "an executor ran on " + worker);
                }
            }
        }
        List<JsonNode> steps = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            JsonNode node = JSON.readTree(line);
            if (node.has("loss")) {
                steps.add(node);
            }
        }
        assertEquals(30, steps.size());
        double first = steps.subList(0, 5).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        double last = steps.subList(25, 30).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        System.out.printf("2-worker cluster: loss %.4f (steps 1-5) -> %.4f (steps 26-30), %.1f samples/s%n", first, last,
                steps.get(29).get("samples_per_sec").asDouble());
        assertTrue(last < first - 0.3, "loss falls: " + first + " -> " + last);
        Path checkpoint = run.resolve("checkpoints").resolve(Files.readString(run.resolve("checkpoints/latest")).strip());
        assertEquals(30, Checkpoint.read(checkpoint).graph().getIterationCount());
    }
}
