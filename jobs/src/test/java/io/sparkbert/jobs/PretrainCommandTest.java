package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.checkpoint.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * pretrain end to end on real Spark (local[2]): real text → vocab → preprocess → pretrain (tiny BERT), then
 * the run directory's artifacts, resuming, refusing a different run, and --init.
 */
class PretrainCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> THROUGHPUT = List.of("samples_per_sec", "tokens_per_sec", "step_samples_per_sec",
            "wall_sec", "step_sec");

    @TempDir
    static Path shared;
    static Path data;
    static Path evalData;

    @BeforeAll
    static void preprocess() throws Exception {
        Path corpus = shared.resolve("corpus");
        Path held = shared.resolve("held-out");
        Files.createDirectories(corpus);
        Files.createDirectories(held);
        Path kjv = ProjectFiles.corpus().resolve("kjv");
        Files.copy(kjv.resolve("03-ruth.txt"), corpus.resolve("03-ruth.txt"));
        Files.copy(kjv.resolve("08-mark.txt"), corpus.resolve("08-mark.txt"));
        Files.copy(kjv.resolve("06-ecclesiastes.txt"), held.resolve("06-ecclesiastes.txt"));
        Path vocab = shared.resolve("vocab.txt");
        assertOk(Cli.run("vocab", "--input", corpus.toString(), "--output", vocab.toString(), "--size", "600",
                "--master", "local[2]"));
        data = shared.resolve("samples");
        evalData = shared.resolve("eval-samples");
        for (Path[] io : new Path[][] {{corpus, data}, {held, evalData}}) {
            assertOk(Cli.run("preprocess", "--input", io[0].toString(), "--output", io[1].toString(), "--vocab",
                    vocab.toString(), "--max-seq-length", "32", "--max-predictions", "5", "--dupe-factor", "1",
                    "--master", "local[2]"));
        }
    }

    private static void assertOk(Cli.Result result) {
        assertEquals(0, result.exitCode(), result.err());
    }

    /** pretrain with the test's settings; {@code overrides} are option/value pairs replacing or adding to them. */
    private static Cli.Result pretrain(Path run, String... overrides) {
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
        String[] defaults = {"--data", data.toString(), "--eval-data", evalData.toString(), "--output", run.toString(),
            "--preset", "tiny", "--steps", "12", "--batch-size-per-worker", "8", "--workers", "2",
            "--averaging-frequency", "3", "--learning-rate", "2e-3", "--warmup-steps", "3", "--eval-every", "6",
            "--checkpoint-every", "6", "--keep-checkpoints", "1", "--eval-max-samples", "64", "--master", "local[2]"};
        for (String[] pairs : new String[][] {defaults, overrides}) {
            for (int i = 0; i < pairs.length; i += 2) {
                options.put(pairs[i], pairs[i + 1]);
            }
        }
        List<String> args = new ArrayList<>(List.of("pretrain"));
        options.forEach((k, v) -> {
            if (v != null) {       // null: leave the option out; "": a flag without a value
                args.add(k);
                if (!v.isEmpty()) {
                    args.add(v);
                }
            }
        });
        return Cli.run(args.toArray(String[]::new));
    }

    private static List<JsonNode> metrics(Path run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @Test
    void aRunWritesMetricsCurvesCheckpointsAndResumesExactly() throws Exception {
        Path full = shared.resolve("full");
        Cli.Result result = pretrain(full);
        assertOk(result);
        assertTrue(result.err().contains("step 12/12 (finished)"), result.err());
        assertFalse(Files.exists(shared.resolve(".full.lock")), "a finished run deletes its lock file");

        List<JsonNode> lines = metrics(full);
        List<JsonNode> steps = lines.stream().filter(l -> l.has("loss")).toList();
        List<JsonNode> evals = lines.stream().filter(l -> l.has("eval_mlm_accuracy")).toList();
        assertEquals(12, steps.size());
        for (int i = 0; i < 12; i++) {
            JsonNode l = steps.get(i);
            assertEquals(i + 1, l.get("step").asInt());
            for (String field : List.of("lr", "loss", "mlm_loss", "nsp_loss", "samples_per_sec", "tokens_per_sec")) {
                assertTrue(l.get(field).isNumber(), field + " in " + l);
            }
            assertEquals(l.get("loss").asDouble(), l.get("mlm_loss").asDouble() + l.get("nsp_loss").asDouble(), 1e-4);
            assertTrue(l.get("step_sec").asDouble() > 0, "step_sec in " + l);
        }
        // each worker runs its steps one after another inside the loop, so the slowest worker's step times add up
        // to less than the loop's wall time per worker (the slowest worker may differ from step to step)
        double stepSeconds = steps.stream().mapToDouble(l -> l.get("step_sec").asDouble()).sum();
        assertTrue(stepSeconds < 2 * steps.get(11).get("wall_sec").asDouble(), stepSeconds + " s in steps");
        // Google's schedule: 0 at step 0, peak after warm-up, linear decay to 0 at step 12
        assertEquals(0.0, steps.get(0).get("lr").asDouble(), 0);
        assertEquals(2e-3 * (1 - 3.0 / 12), steps.get(3).get("lr").asDouble(), 1e-9);
        assertEquals(List.of(6, 12), evals.stream().map(e -> e.get("step").asInt()).toList());
        for (JsonNode e : evals) {
            for (String field : List.of("eval_mlm_loss", "eval_mlm_accuracy", "eval_nsp_loss", "eval_nsp_accuracy")) {
                assertTrue(e.get(field).isNumber(), field + " in " + e);
            }
        }
        double early = steps.subList(0, 3).stream().mapToDouble(l -> l.get("mlm_loss").asDouble()).average().orElseThrow();
        double late = steps.subList(9, 12).stream().mapToDouble(l -> l.get("mlm_loss").asDouble()).average().orElseThrow();
        assertTrue(late < early, "MLM loss falls: " + early + " -> " + late);

        // summary.json: the whole loop, its final evaluation and checkpoint included, so its wall rate is below the
        // last metrics line's (written before them) and below the rate inside steps
        JsonNode summary = JSON.readTree(full.resolve("summary.json").toFile());
        assertEquals(12, summary.get("step").asInt());
        assertTrue(summary.get("finished").asBoolean());
        assertEquals(12L * 2 * 8, summary.get("samples").asLong());   // 2 workers x 8
        JsonNode lastStep = steps.get(11);
        assertTrue(summary.get("samples_per_sec").asDouble() < lastStep.get("samples_per_sec").asDouble(),
                summary + " vs " + lastStep);
        assertTrue(summary.get("samples_per_sec").asDouble() < summary.get("step_samples_per_sec").asDouble());
        assertEquals(summary.get("samples").asDouble() / summary.get("train_loop_seconds").asDouble(),
                summary.get("samples_per_sec").asDouble(), 1e-9);
        assertEquals(evals.get(1).get("eval_mlm_accuracy").asDouble(), summary.get("eval_mlm_accuracy").asDouble(), 0);
        assertEquals("step-000012", summary.get("last_checkpoint").asText());

        JsonNode baseline = JSON.readTree(full.resolve("unigram_baseline.json").toFile());
        assertTrue(baseline.get("accuracy").asDouble() > 0 && baseline.get("accuracy").asDouble() < 1);
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(full.resolve("curves.svg").toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        assertTrue(svg.getElementsByTagName("polyline").getLength() >= 5);

        Path checkpoints = full.resolve("checkpoints");
        assertEquals("step-000012", Files.readString(checkpoints.resolve("latest")).strip());
        try (Stream<Path> list = Files.list(checkpoints)) {
            assertEquals(List.of("latest", "step-000012"), list.map(p -> p.getFileName().toString()).sorted().toList(),
                    "--keep-checkpoints 1 keeps only the newest, nothing half-written is left");
        }
        Checkpoint.Loaded loaded = Checkpoint.read(checkpoints.resolve("step-000012"));
        assertEquals(12, loaded.graph().getIterationCount());
        assertEquals(12, JSON.readTree(checkpoints.resolve("step-000012/state.json").toFile()).get("step").asInt());

        // the same command again: nothing to do, nothing changed
        String before = Files.readString(full.resolve("metrics.jsonl"));
        Cli.Result again = pretrain(full);
        assertOk(again);
        assertEquals(before, Files.readString(full.resolve("metrics.jsonl")));

        // a run stopped early (--max-minutes ~0 stops after every round) and rerun until done equals the
        // uninterrupted one at every step
        Path stopped = shared.resolve("stopped");
        int runs = 0;
        Cli.Result r;
        do {
            r = pretrain(stopped, "--max-minutes", "0.00001");
            assertOk(r);
            runs++;
        } while (!r.err().contains("(finished)") && runs < 10);
        assertEquals(4, runs, "one round per run: 12 steps / 3");
        List<JsonNode> resumed = metrics(stopped);
        assertEquals(lines.size(), resumed.size() - 2, "two extra evaluations (at the stops of runs 1 and 3)");
        List<JsonNode> resumedSteps = resumed.stream().filter(l -> l.has("loss")).toList();
        for (int i = 0; i < 12; i++) {
            JsonNode a = steps.get(i);
            JsonNode b = resumedSteps.get(i);
            a.fieldNames().forEachRemaining(f -> {
                if (!THROUGHPUT.contains(f)) {
                    assertEquals(a.get(f).asDouble(), b.get(f).asDouble(), 1e-4 * Math.abs(a.get(f).asDouble()),
                            f + " at step " + a.get("step"));
                }
            });
        }
    }

    /**
     * One worker trains in the driver and collects each round's batches while the round before trains: over
     * several epochs (rounds that straddle two, epochs released behind them) its steps equal those of the same
     * run stopped after every round, whose rounds are each the first of a fresh process's loop.
     */
    @Test
    void oneWorkerOverSeveralEpochsEqualsTheRunStoppedAfterEveryRound() throws Exception {
        long samples = JSON.readTree(data.resolve("manifest.json").toFile()).path("totals").path("samples").asLong();
        assertTrue(samples >= 500 && samples < 600, samples + " samples");
        // 5 batches of 100 per epoch: rounds of 3 steps, the second and the fourth in two epochs
        String[] settings = {"--workers", "1", "--master", "local[1]", "--batch-size-per-worker", "100",
            "--steps", "12", "--eval-every", "100", "--checkpoint-every", "100"};
        Path whole = shared.resolve("epochs-whole");
        Cli.Result result = pretrain(whole, settings);
        assertOk(result);
        List<JsonNode> steps = metrics(whole).stream().filter(l -> l.has("loss")).toList();
        assertEquals(12, steps.size());

        Path stopped = shared.resolve("epochs-stopped");
        String[] stopping = java.util.Arrays.copyOf(settings, settings.length + 2);
        stopping[settings.length] = "--max-minutes";
        stopping[settings.length + 1] = "0.00001";
        int runs = 0;
        Cli.Result r;
        do {
            r = pretrain(stopped, stopping);
            assertOk(r);
            runs++;
        } while (!r.err().contains("(finished)") && runs < 10);
        assertEquals(4, runs, "one round per run: 12 steps / 3");
        List<JsonNode> resumed = metrics(stopped).stream().filter(l -> l.has("loss")).toList();
        for (int i = 0; i < 12; i++) {
            for (String f : List.of("loss", "mlm_loss", "nsp_loss", "lr")) {
                assertEquals(steps.get(i).get(f).asDouble(), resumed.get(i).get(f).asDouble(), 0,
                        f + " at step " + (i + 1));
            }
        }
    }

    /**
     * Epochs shuffled and batched in the driver (local mode, samples within --in-driver-max-mb) train exactly as
     * Spark's: two workers, masks redrawn every epoch, rounds straddling epochs, with a held-out dataset and with a
     * held-out fraction of the training data; the same losses at every step, the same held-out figures, the same
     * parameters and Adam state at the end.
     */
    @Test
    void theDriversEpochsTrainLikeSparksEpochs() throws Exception {
        for (String heldOut : List.of("eval-data", "eval-fraction")) {
            String[] settings = {"--batch-size-per-worker", "50", "--steps", "12", "--dynamic-masking", "",
                "--eval-every", "100", "--checkpoint-every", "100",
                "--eval-data", heldOut.equals("eval-data") ? evalData.toString() : null, "--eval-fraction", "0.2"};
            Path inDriver = shared.resolve("epochs-in-driver-" + heldOut);
            assertOk(pretrain(inDriver, settings));
            assertEquals("driver", JSON.readTree(inDriver.resolve("summary.json").toFile()).get("epochs_batched_on")
                    .asText());

            String[] onSpark = java.util.Arrays.copyOf(settings, settings.length + 2);
            onSpark[settings.length] = "--in-driver-max-mb";
            onSpark[settings.length + 1] = "0";
            Path spark = shared.resolve("epochs-on-spark-" + heldOut);
            assertOk(pretrain(spark, onSpark));
            assertEquals("spark", JSON.readTree(spark.resolve("summary.json").toFile()).get("epochs_batched_on")
                    .asText());

            List<JsonNode> a = metrics(inDriver);
            List<JsonNode> b = metrics(spark);
            assertEquals(13, a.size(), "12 steps and the final evaluation");
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                for (String f : List.of("loss", "mlm_loss", "nsp_loss", "eval_mlm_loss", "eval_nsp_loss")) {
                    if (a.get(i).has(f)) {
                        assertEquals(a.get(i).get(f).asDouble(), b.get(i).get(f).asDouble(), 0,
                                heldOut + ": " + f + " in line " + (i + 1));
                    }
                }
            }
            var x = Checkpoint.read(inDriver.resolve("checkpoints/step-000012")).graph();
            var y = Checkpoint.read(spark.resolve("checkpoints/step-000012")).graph();
            assertEquals(x.params(), y.params());
            assertEquals(x.getUpdater().getStateViewArray(), y.getUpdater().getStateViewArray());
        }

        Cli.Result negative = pretrain(shared.resolve("epochs-negative"), "--in-driver-max-mb", "-1");
        assertEquals(2, negative.exitCode(), negative.err());
        assertTrue(negative.err().contains("--in-driver-max-mb"), negative.err());
    }

    /** Issue 16: a run that failed before its first checkpoint (and a killed run's staging) block nothing. */
    @Test
    void failedPretrainLeavesNoRunJsonAndStaleStagingIsRemoved() throws Exception {
        Path run = shared.resolve("retry");
        Path stale = Files.createDirectories(shared.resolve(".retry.tmp-" + java.util.UUID.randomUUID()));
        Files.writeString(stale.resolve("half-written"), "x");
        Cli.Result failed = pretrain(run, "--batch-size-per-worker", "100000", "--steps", "3");
        assertNotEquals(0, failed.exitCode());
        assertTrue(!Files.exists(run.resolve("run.json")), "run.json left by the failed run");
        assertTrue(!Files.exists(stale), "stale staging directory still there");
        Cli.Result retried = pretrain(run, "--steps", "3", "--eval-every", "3", "--checkpoint-every", "3");
        assertOk(retried);
        assertTrue(Files.exists(run.resolve("checkpoints/latest")));
        for (String summary : List.of("pretrain: step 3/3 (finished)", "samples/s", "over wall time",
                "held-out: MLM accuracy", "checkpoints/step-000003")) {
            assertTrue(retried.err().contains(summary), summary + " missing from the summary:\n" + retried.err());
        }
    }

    /** Issue 16: a truncated shard is named in one line, before any training. */
    @Test
    void aTruncatedShardIsOneLine() throws Exception {
        Path copy = Files.createDirectories(shared.resolve("truncated-samples"));
        List<Path> shards = new ArrayList<>();
        try (var files = Files.list(data)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
                if (file.toString().endsWith(".parquet")) {
                    shards.add(copy.resolve(file.getFileName()));
                }
            }
        }
        try (var file = new java.io.RandomAccessFile(shards.get(0).toFile(), "rw")) {
            file.setLength(file.length() / 2);
        }
        Cli.Result result = pretrain(shared.resolve("on-truncated"), "--data", copy.toString(), "--steps", "3");
        assertEquals(2, result.exitCode(), result.err());
        assertTrue(result.err().contains("is not a complete Parquet file"), result.err());
        assertEquals(1, result.err().strip().lines().count(), result.err());
    }

    @Test
    void aDifferentRunInTheSameDirectoryIsRefusedAndInitStartsFromACheckpoint() throws Exception {
        Path run = shared.resolve("first");
        assertOk(pretrain(run, "--steps", "3", "--eval-every", "3", "--checkpoint-every", "3"));
        Cli.Result other = pretrain(run, "--steps", "3", "--eval-every", "3", "--checkpoint-every", "3",
                "--learning-rate", "1e-4");
        assertNotEquals(0, other.exitCode());
        assertTrue(other.err().contains("holds a different run"), other.err());

        Path ckpt = run.resolve("checkpoints/step-000003");
        Path continued = shared.resolve("continued");
        Cli.Result init = pretrain(continued, "--preset", null, "--init", ckpt.toString(), "--steps", "3",
                "--eval-every", "3", "--checkpoint-every", "3");
        assertOk(init);
        JsonNode firstEval = metrics(run).stream().filter(l -> l.has("eval_mlm_loss")).findFirst().orElseThrow();
        JsonNode initFirstStep = metrics(continued).get(0);
        // the continued run starts from the trained parameters: its first training loss is near the
        // first run's held-out loss level, far below a fresh model's
        assertTrue(initFirstStep.get("mlm_loss").asDouble() < metrics(run).get(0).get("mlm_loss").asDouble(),
                initFirstStep + " vs " + firstEval);
        assertTrue(Files.exists(continued.resolve("checkpoints/latest")));
    }

    @Test
    void gloveVectorsInitialiseAndFreezeTheTokenEmbeddings() throws Exception {
        io.sparkbert.pipeline.tokenizer.Vocab vocab = io.sparkbert.pipeline.tokenizer.Vocab.load(data.resolve("vocab.txt"));
        // vectors for three real tokens, of the tiny preset's hidden size 128, plus a word not in the vocab
        List<String> words = List.of(vocab.token(vocab.size() - 1), vocab.token(vocab.size() - 2), "the", "zzzz-none");
        StringBuilder text = new StringBuilder();
        java.util.Random random = new java.util.Random(3);
        java.util.Map<String, double[]> vectors = new java.util.HashMap<>();
        for (String w : words) {
            double[] v = new double[128];
            text.append(w);
            for (int i = 0; i < v.length; i++) {
                v[i] = random.nextGaussian();
                text.append(' ').append(v[i]);
            }
            text.append('\n');
            vectors.put(w, v);
        }
        Path file = shared.resolve("vectors.txt");
        Files.writeString(file, text);
        Path run = shared.resolve("glove-init");
        assertOk(pretrain(run, "--steps", "3", "--eval-every", "3", "--checkpoint-every", "3", "--init-embeddings",
                file.toString(), "--freeze-embeddings", ""));
        Checkpoint.Loaded loaded = Checkpoint.read(run.resolve("checkpoints/step-000003"));
        org.nd4j.linalg.api.ndarray.INDArray table = loaded.graph().getParam("bert_embeddings/token");
        for (String w : words.subList(0, 3)) {
            if (!vocab.contains(w)) {
                continue;
            }
            double[] v = vectors.get(w);
            double norm = Math.sqrt(java.util.Arrays.stream(v).map(x -> x * x).sum());
            int id = vocab.id(w);
            for (int j = 0; j < 128; j++) {
                // direction of the GloVe vector at BERT's initial row norm 0.02·√128, unchanged by 3 frozen steps
                assertEquals(v[j] / norm * 0.02 * Math.sqrt(128), table.getDouble(id, j), 1e-6, w + "[" + j + "]");
            }
        }
        Path wrongDim = shared.resolve("vectors-3d.txt");
        Files.writeString(wrongDim, "the 0.1 0.2 0.3\n");
        Cli.Result bad = pretrain(shared.resolve("glove-bad"), "--steps", "3", "--init-embeddings", wrongDim.toString());
        assertNotEquals(0, bad.exitCode());
        assertTrue(bad.err().contains("3-dimensional vectors but the model's hidden size is 128"), bad.err());
    }
}
