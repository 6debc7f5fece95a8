package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resume promise with a real crash: bin/sparkbert pretrain is killed with SIGKILL (driver JVM and all)
 * at a random step after its first checkpoint; the same command run again resumes from the latest
 * checkpoint, and every metric it logs equals the uninterrupted run's to 1e-4 relative.
 */
class PretrainKillResumeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> THROUGHPUT = List.of("samples_per_sec", "tokens_per_sec", "step_samples_per_sec",
            "wall_sec", "step_sec");

    @TempDir
    Path dir;

    private List<String> command(Path data, Path eval, Path run) {
        return List.of(ProjectFiles.root().resolve("bin").resolve("sparkbert").toString(), "pretrain",
                "--data", data.toString(), "--eval-data", eval.toString(), "--output", run.toString(),
                "--preset", "tiny", "--steps", "24", "--batch-size-per-worker", "8", "--workers", "2",
                "--averaging-frequency", "3", "--learning-rate", "2e-3", "--warmup-steps", "3", "--eval-every", "6",
                "--checkpoint-every", "6", "--eval-max-samples", "64", "--master", "local[2]");
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

    @Test
    void killedDriverResumesWithIdenticalMetrics() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Path held = Files.createDirectories(dir.resolve("held"));
        Path kjv = ProjectFiles.corpus().resolve("kjv");
        Files.copy(kjv.resolve("03-ruth.txt"), corpus.resolve("03-ruth.txt"));
        Files.copy(kjv.resolve("06-ecclesiastes.txt"), held.resolve("06-ecclesiastes.txt"));
        Path vocab = dir.resolve("vocab.txt");
        assertEquals(0, Cli.run("vocab", "--input", corpus.toString(), "--output", vocab.toString(), "--size", "400",
                "--master", "local[2]").exitCode());
        Path data = dir.resolve("samples");
        Path eval = dir.resolve("eval");
        for (Path[] io : new Path[][] {{corpus, data}, {held, eval}}) {
            assertEquals(0, Cli.run("preprocess", "--input", io[0].toString(), "--output", io[1].toString(), "--vocab",
                    vocab.toString(), "--max-seq-length", "32", "--max-predictions", "5", "--dupe-factor", "2",
                    "--master", "local[2]").exitCode());
        }
        Map<String, String> env = Map.of("SPARKBERT_NO_BUILD", "1", "SPARK_LOCAL_IP", "127.0.0.1");

        Path whole = dir.resolve("uninterrupted");
        Processes.Result uninterrupted = Processes.run(command(data, eval, whole), env, dir, 900);
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.output());
        List<JsonNode> expected = metrics(whole);

        // the killed run: SIGKILL once it has logged a random step past its first checkpoint
        Path crashed = dir.resolve("crashed");
        int killAfter = 7 + new Random().nextInt(10);    // a step in 7..16: past checkpoint 6, before the end
        ProcessBuilder builder = new ProcessBuilder(command(data, eval, crashed)).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("crashed.log").toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        int lastStep = 0;
        while (process.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(crashed.resolve("metrics.jsonl"))) {
                List<JsonNode> lines = metrics(crashed);
                lastStep = lines.isEmpty() ? 0 : lines.get(lines.size() - 1).path("step").asInt();
                if (lastStep >= killAfter) {
                    break;
                }
            }
            Thread.sleep(100);
        }
        assertTrue(process.isAlive(), "the run ended before step " + killAfter + ": " + Files.readString(dir.resolve("crashed.log")));
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(60, TimeUnit.SECONDS);
        String latest = Files.readString(crashed.resolve("checkpoints").resolve("latest")).strip();
        System.out.printf("killed at step %d (target %d); latest checkpoint %s%n", lastStep, killAfter, latest);

        Processes.Result resumed = Processes.run(command(data, eval, crashed), env, dir, 900);
        assertEquals(0, resumed.exitCode(), resumed.output());
        assertTrue(resumed.output().contains("resuming") && resumed.output().contains("resumed from step"),
                resumed.output());
        List<JsonNode> actual = metrics(crashed);
        List<JsonNode> expectedSteps = expected.stream().filter(l -> l.has("loss")).toList();
        List<JsonNode> actualSteps = actual.stream().filter(l -> l.has("loss")).toList();
        assertEquals(24, actualSteps.size(), "each step logged once after the resume");
        double worst = 0;
        for (int i = 0; i < expectedSteps.size(); i++) {
            JsonNode a = expectedSteps.get(i);
            JsonNode b = actualSteps.get(i);
            assertEquals(a.get("step").asInt(), b.get("step").asInt());
            for (var it = a.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (THROUGHPUT.contains(f)) {
                    continue;
                }
                double x = a.get(f).asDouble();
                double y = b.get(f).asDouble();
                double rel = x == 0 ? Math.abs(y) : Math.abs(x - y) / Math.abs(x);
                worst = Math.max(worst, rel);
                assertTrue(rel <= 1e-4, f + " at step " + a.get("step") + ": " + x + " vs " + y);
            }
        }
        List<JsonNode> expectedEvals = expected.stream().filter(l -> l.has("eval_mlm_loss")).toList();
        JsonNode lastExpected = expectedEvals.get(expectedEvals.size() - 1);
        JsonNode lastActual = actual.stream().filter(l -> l.has("eval_mlm_loss")).reduce((x, y) -> y).orElseThrow();
        assertEquals(lastExpected.get("eval_mlm_loss").asDouble(), lastActual.get("eval_mlm_loss").asDouble(),
                1e-4 * lastExpected.get("eval_mlm_loss").asDouble());
        System.out.printf("resumed run vs uninterrupted: worst relative difference over %d steps: %.3g%n",
                expectedSteps.size(), worst);
    }
}
