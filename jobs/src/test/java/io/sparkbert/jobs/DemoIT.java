package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.checkpoint.SafeTensors;
import io.sparkbert.pipeline.glove.GloveOutput;
import io.sparkbert.pipeline.preprocess.SampleReader;
import io.sparkbert.pipeline.samples.TrainingSample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/sparkbert demo end to end, as a newcomer runs it from a fresh checkout (a separate JVM through the launcher,
 * embedded Spark), with small settings: every artifact it announces exists and parses.
 */
class DemoIT {
    private static final Map<String, String> NO_BUILD = Map.of("SPARKBERT_NO_BUILD", "1");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SAMPLE_COLUMNS = List.of("input_ids", "token_type_ids", "attention_mask",
            "masked_lm_positions", "masked_lm_ids", "masked_lm_weights", "next_sentence_label");
    private static final int VOCAB = 1000;
    private static final int SEQ = 64;
    private static final int PREDICTIONS = 10;
    private static final int GLOVE_DIM = 10;
    private static final int STEPS = 10;
    private static final int HIDDEN = 128; // the tiny preset

    @TempDir
    Path dir;

    private List<String> demo(Path work) {
        return List.of(ProjectFiles.root().resolve("bin").resolve("sparkbert").toString(), "demo",
                "--work", work.toString(), "--minutes", "3", "--preset", "tiny", "--pretrain-steps", "" + STEPS,
                "--vocab-size", "" + VOCAB, "--max-seq-length", "" + SEQ, "--max-predictions", "" + PREDICTIONS,
                "--dupe-factor", "1", "--glove-dim", "" + GLOVE_DIM, "--glove-iterations", "2",
                "--neighbors", "god,nosuchword", "--averaging-frequency", "5", "--eval-every", "5",
                "--eval-max-samples", "64",
                "--fill-mask", "in the beginning god created the [MASK] and the earth,"
                        + "and god said let there be [MASK]");
    }

    @Test
    void theDemoProducesEveryArtifactAndTheyParse() throws Exception {
        Path work = dir.resolve("demo");
        Processes.Result run = Processes.run(demo(work), NO_BUILD, dir, 600);
        assertEquals(0, run.exitCode(), run.output());
        String out = run.output();
        for (String expected : List.of("== 9/9 ", "nearest neighbours of \"god\"", "(no vector for \"nosuchword\"",
                "in the beginning god created the [MASK] and the earth\n  [MASK] 1:", "demo finished in",
                "Key figures:", "held-out MLM      accuracy", "Next:", "bin/sparkbert local-cluster start",
                "spark-submit", "bin/sparkbert import --hf", "bin/sparkbert infer")) {
            assertTrue(out.contains(expected), "'" + expected + "' missing from:\n" + out);
        }
        assertTrue(!out.contains("Added differentiated op"), "SameDiff's println noise is filtered");

        // vocabulary and tokenization: curly quotes never occur in the KJV, so they are [UNK] here
        List<String> tokens = Files.readAllLines(work.resolve("vocab.txt"));
        assertEquals(VOCAB, tokens.size());
        assertEquals(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), tokens.subList(0, 5));
        assertTrue(Files.exists(work.resolve("vocab.report.json")));
        String firstIds = Files.readAllLines(work.resolve("unicode-sampler.ids")).get(0);
        String decoded = decode(firstIds, tokens);
        assertTrue(decoded.startsWith("[UNK] well , [UNK] she said"), decoded);

        // samples, training and held out: Parquet with the columns of docs/design.md §3.4, as many rows as the
        // report says
        for (String name : List.of("samples", "eval-samples")) {
            Path dataset = work.resolve(name);
            JsonNode report = json(dataset.resolve("report.json"));
            assertTrue(json(dataset.resolve("manifest.json")).isObject());
            long rows = 0;
            for (Path shard : files(dataset, ".parquet")) {
                ParquetMetadata footer = footer(shard);
                assertEquals(SAMPLE_COLUMNS, footer.getFileMetaData().getSchema().getFields().stream()
                        .map(Type::getName).toList(), shard.toString());
                rows += footer.getBlocks().stream().mapToLong(b -> b.getRowCount()).sum();
                try (SampleReader reader = new SampleReader(shard.toString(), new Configuration())) {
                    TrainingSample sample = reader.next();
                    assertEquals(SEQ, sample.inputIds().length);
                    assertEquals(SEQ, sample.tokenTypeIds().length);
                    assertEquals(PREDICTIONS, sample.maskedLmPositions().length);
                    assertEquals(PREDICTIONS, sample.maskedLmIds().length);
                    assertEquals(PREDICTIONS, sample.maskedLmWeights().length);
                    assertEquals(2, sample.inputIds()[0], "[CLS] first");
                    assertTrue(sample.nextSentenceLabel() == 0 || sample.nextSentenceLabel() == 1);
                }
            }
            assertTrue(rows > 0);
            assertEquals(report.path("samples").path("samples").asLong(), rows, name);
        }

        // co-occurrences: GloVe's vocab.txt and 16-byte records, and the Parquet matrix
        Path cooccur = work.resolve("cooccur");
        JsonNode cooccurReport = json(cooccur.resolve("report.json"));
        long gloveVocab = Files.readAllLines(cooccur.resolve("vocab.txt")).size();
        assertEquals(cooccurReport.path("vocab_size").asLong(), gloveVocab);
        long pairs = cooccurReport.path("non_zero_pairs").asLong();
        assertTrue(pairs > 0);
        assertEquals(16 * pairs, Files.size(cooccur.resolve("cooccurrence.bin")));
        List<Path> matrix = files(cooccur.resolve("cooccurrence.parquet"), ".parquet");
        assertEquals(List.of("word_id", "context_id", "value"), footer(matrix.get(0)).getFileMetaData().getSchema()
                .getFields().stream().map(Type::getName).toList());

        // GloVe vectors: text (word + d numbers a line) and glove.c's binary parameters
        List<String> vectors = Files.readAllLines(work.resolve("vectors.txt"), StandardCharsets.UTF_8);
        assertEquals(gloveVocab, vectors.size());
        for (String line : vectors) {
            String[] fields = line.split(" ");
            assertEquals(GLOVE_DIM + 1, fields.length, line);
            Arrays.stream(fields).skip(1).forEach(Double::parseDouble);
        }
        assertEquals(GloveOutput.binarySize(gloveVocab, GLOVE_DIM), Files.size(work.resolve("vectors.txt.bin")));
        assertEquals(GLOVE_DIM, json(work.resolve("vectors.report.json")).path("dim").asInt());

        // pretraining: metrics, curves, baseline, the checkpoint named by latest
        Path pretrain = work.resolve("pretrain");
        List<JsonNode> steps = new ArrayList<>();
        List<JsonNode> evals = new ArrayList<>();
        for (String line : Files.readAllLines(pretrain.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            JsonNode node = JSON.readTree(line);
            (node.has("loss") ? steps : evals).add(node);
        }
        assertEquals(STEPS, steps.size());
        for (JsonNode step : steps) {
            for (String field : List.of("loss", "mlm_loss", "nsp_loss", "lr", "samples_per_sec")) {
                assertTrue(step.path(field).isNumber(), field + " in " + step);
            }
        }
        assertEquals(List.of(5, 10), evals.stream().map(e -> e.path("step").asInt()).toList());
        for (JsonNode eval : evals) {
            for (String field : List.of("eval_mlm_loss", "eval_mlm_accuracy", "eval_nsp_loss", "eval_nsp_accuracy",
                    "unigram_baseline_accuracy")) {
                assertTrue(eval.path(field).isNumber(), field + " in " + eval);
            }
        }
        assertTrue(json(pretrain.resolve("unigram_baseline.json")).path("accuracy").isNumber());
        JsonNode summary = json(pretrain.resolve("summary.json"));
        assertTrue(summary.path("finished").asBoolean(), summary.toString());
        assertEquals(STEPS, summary.path("step").asInt());
        assertTrue(summary.path("samples_per_sec").asDouble() > 0, summary.toString());
        var svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(pretrain.resolve("curves.svg").toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        Path checkpoint = pretrain.resolve("checkpoints")
                .resolve(Files.readString(pretrain.resolve("checkpoints").resolve("latest")).strip());
        assertEquals("step-0000" + STEPS, checkpoint.getFileName().toString());
        for (String file : List.of("model.zip", "config.json", "vocab.txt")) {
            assertTrue(Files.isRegularFile(checkpoint.resolve(file)), file);
        }

        // the HuggingFace export: safetensors header and tensors, config.json, the same vocab
        Path hf = work.resolve("hf");
        SafeTensors.Contents weights = SafeTensors.read(hf.resolve("model.safetensors"));
        SafeTensors.Tensor embeddings = weights.tensor("bert.embeddings.word_embeddings.weight");
        assertEquals(List.of((long) VOCAB, (long) HIDDEN), Arrays.stream(embeddings.shape()).boxed().toList());
        assertEquals(SafeTensors.DType.F32, embeddings.dtype());
        assertEquals("pt", weights.metadata().get("format"));
        JsonNode config = json(hf.resolve("config.json"));
        assertEquals(VOCAB, config.path("vocab_size").asInt());
        assertEquals(HIDDEN, config.path("hidden_size").asInt());
        assertEquals(tokens, Files.readAllLines(hf.resolve("vocab.txt")));

        // a second run replaces its own outputs instead of refusing
        Processes.Result again = Processes.run(demo(work), NO_BUILD, dir, 600);
        assertEquals(0, again.exitCode(), again.output());
        assertTrue(again.output().contains("demo finished in"), again.output());
    }

    private static JsonNode json(Path file) throws Exception {
        return JSON.readTree(file.toFile());
    }

    private static ParquetMetadata footer(Path file) throws Exception {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
            return reader.getFooter();
        }
    }

    private static List<Path> files(Path dir, String suffix) throws Exception {
        try (Stream<Path> list = Files.list(dir)) {
            List<Path> found = list.filter(p -> p.getFileName().toString().endsWith(suffix)
                    && !p.getFileName().toString().startsWith(".")).sorted().toList();
            assertTrue(!found.isEmpty(), "no " + suffix + " files in " + dir);
            return found;
        }
    }

    /** Ids back to text, wordpieces joined. */
    private static String decode(String idLine, List<String> tokens) {
        return String.join(" ", Arrays.stream(idLine.split(" ")).map(id -> tokens.get(Integer.parseInt(id))).toList())
                .replace(" ##", "");
    }
}
