package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.pipeline.preprocess.SampleReader;
import io.sparkbert.pipeline.reference.ReferenceVocabs;
import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** preprocess end to end on real Spark (local[2]), real text, the real bert-base-uncased vocab. */
class PreprocessCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static Path vocabFile;
    static Vocab vocab;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeVocab() throws Exception {
        vocab = ReferenceVocabs.bertBaseUncased();
        vocabFile = shared.resolve("vocab.txt");
        vocab.write(vocabFile);
    }

    private static Cli.Result preprocess(Path input, Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("preprocess", "--input", input.toString(), "--vocab",
                vocabFile.toString(), "--output", output.toString(), "--master", "local[2]"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private static List<Path> shards(Path dataset) throws Exception {
        try (Stream<Path> files = Files.list(dataset)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
        }
    }

    private static List<TrainingSample> readAll(Path dataset) throws Exception {
        List<TrainingSample> samples = new ArrayList<>();
        for (Path shard : shards(dataset)) {
            try (SampleReader reader = new SampleReader(shard.toUri().toString(), new Configuration())) {
                samples.addAll(reader.read(-1));
            }
        }
        return samples;
    }

    private static JsonNode json(Path file) throws Exception {
        return JSON.readTree(file.toFile());
    }

    @Test
    void samplesOnRealTextHaveTheStatisticsOfSpec3() throws Exception {
        Path output = dir.resolve("kjv");
        Cli.Result result = preprocess(ProjectFiles.corpus().resolve("kjv"), output, "--dupe-factor", "3",
                "--shards", "3");
        assertEquals(0, result.exitCode(), result.err());
        List<TrainingSample> samples = readAll(output);
        assertTrue(samples.size() > 8_000, "samples: " + samples.size());

        long isNext = 0;
        long predictions = 0;
        long maskable = 0;
        long masked = 0;
        long random = 0;
        long kept = 0;
        for (TrainingSample s : samples) {
            int length = s.length();
            assertTrue(length <= 128 && length >= 5, "length " + length);
            assertEquals(128, s.inputIds().length);
            // attention: 1 on real tokens then 0; [CLS] first, exactly two [SEP], the last at length-1
            int firstSep = -1;
            int seps = 0;
            for (int i = 0; i < 128; i++) {
                assertEquals(i < length ? 1 : 0, s.attentionMask()[i]);
                int id = s.inputIds()[i];
                if (i >= length) {
                    assertEquals(vocab.padId(), id);
                    assertEquals(0, s.tokenTypeIds()[i]);
                    continue;
                }
                assertEquals(i == 0, id == vocab.clsId(), "[CLS] only at 0");
                if (id == vocab.sepId()) {
                    seps++;
                    firstSep = firstSep < 0 ? i : firstSep;
                }
                assertEquals(firstSep < 0 || i == firstSep ? 0 : 1, s.tokenTypeIds()[i], "segment id at " + i);
            }
            assertEquals(2, seps);
            assertEquals(vocab.sepId(), s.inputIds()[length - 1]);
            isNext += s.nextSentenceLabel() == TrainingSample.IS_NEXT ? 1 : 0;
            maskable += length - 3;
            int previous = -1;
            for (int p = 0; p < s.maskedLmPositions().length; p++) {
                if (s.maskedLmWeights()[p] == 0f) {
                    assertEquals(0, s.maskedLmPositions()[p]);
                    assertEquals(0, s.maskedLmIds()[p]);
                    continue;
                }
                int position = s.maskedLmPositions()[p];
                int label = s.maskedLmIds()[p];
                assertTrue(position > previous && position < length - 1 && position > 0, "position " + position);
                previous = position;
                assertFalse(vocab.isSpecial(label), "a special token was masked: " + vocab.token(label));
                predictions++;
                int shown = s.inputIds()[position];
                if (shown == vocab.maskId()) {
                    masked++;
                } else if (shown == label) {
                    kept++;
                } else {
                    random++;
                    assertFalse(io.sparkbert.pipeline.samples.Masker.isReserved(vocab.token(shown)), "random replacement " + vocab.token(shown));
                }
            }
            // Google's count: round-half-even(length * 0.15), at least 1, at most 20
            assertEquals(Math.min(20, Math.max(1, (int) Math.rint(length * 0.15))),
                    (int) java.util.stream.IntStream.range(0, 20).filter(p -> s.maskedLmWeights()[p] > 0).count());
        }
        double isNextRatio = (double) isNext / samples.size();
        double maskedFraction = (double) predictions / maskable;
        System.out.printf("KJV x3: %d samples, IsNext %.4f, masked %.4f of maskable, mask/random/keep %.4f/%.4f/%.4f%n",
                samples.size(), isNextRatio, maskedFraction, (double) masked / predictions,
                (double) random / predictions, (double) kept / predictions);
        assertEquals(0.50, isNextRatio, 0.03);
        assertEquals(0.15, maskedFraction, 0.01);
        assertEquals(0.80, (double) masked / predictions, 0.02);
        assertEquals(0.10, (double) random / predictions, 0.02);
        assertEquals(0.10, (double) kept / predictions, 0.02);

        JsonNode report = json(output.resolve("report.json"));
        assertEquals(samples.size(), report.path("samples").path("samples").asLong());
        assertEquals(isNextRatio, report.path("samples").path("is_next_ratio").asDouble(), 1e-12);
        assertEquals(10_109, report.path("input").path("lines").asLong());
        JsonNode manifest = json(output.resolve("manifest.json"));
        assertEquals(vocab.sha256(), manifest.path("vocab").path("sha256").asText());
        assertEquals(11, manifest.path("runs").get(0).path("files").size());
        assertEquals(64, manifest.path("runs").get(0).path("files").get(0).path("sha256").asText().length());
        assertEquals(3, manifest.path("shards").size());
        assertEquals(vocab.tokens(), Vocab.load(output.resolve("vocab.txt")).tokens());
    }

    @Test
    void shardsArePlainParquetThatSparkAndParquetHadoopRead() throws Exception {
        Path output = dir.resolve("plain");
        assertEquals(0, preprocess(ProjectFiles.corpus().resolve("kjv").resolve("03-ruth.txt"), output,
                "--dupe-factor", "1", "--shards", "1").exitCode());
        Path shard = shards(output).get(0);
        try (ParquetFileReader reader = ParquetFileReader.open(
                HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(shard.toUri()), new Configuration()))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            List<String> columns = schema.getFields().stream().map(f -> f.getName()).toList();
            assertEquals(List.of("input_ids", "token_type_ids", "attention_mask", "masked_lm_positions",
                    "masked_lm_ids", "masked_lm_weights", "next_sentence_label"), columns);
            assertEquals("INT32", schema.getType("next_sentence_label").asPrimitiveType().getPrimitiveTypeName().name());
        }
        SparkSession spark = SparkSession.builder().master("local[1]").appName("read-back")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> frame = spark.read().parquet(shard.toString());
            assertEquals("array<int>", frame.schema().apply("input_ids").dataType().simpleString());
            assertEquals("array<float>", frame.schema().apply("masked_lm_weights").dataType().simpleString());
            List<TrainingSample> viaParquetHadoop = readAll(output);
            assertEquals(viaParquetHadoop.size(), frame.count());
            Row first = frame.first();
            assertEquals(viaParquetHadoop.get(0).inputIds()[1], first.<Integer>getList(0).get(1));
        } finally {
            spark.stop();
        }
    }

    @Test
    void sameBytesWhateverThePartitioningAndAfterATaskRetry() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv");
        Path one = dir.resolve("one");
        Path four = dir.resolve("four");
        assertEquals(0, preprocess(corpus, one, "--dupe-factor", "2", "--shards", "2", "--partitions", "1").exitCode());
        assertEquals(0, preprocess(corpus, four, "--dupe-factor", "2", "--shards", "2", "--partitions", "4").exitCode());
        List<Path> shardsOne = shards(one);
        assertEquals(2, shardsOne.size());
        for (Path shard : shardsOne) {
            assertArrayEquals(Files.readAllBytes(shard), Files.readAllBytes(four.resolve(shard.getFileName())),
                    shard.getFileName() + " differs between 1 and 4 partitions");
        }

        // The injected failure is real: with no retries allowed the job fails, and leaves nothing finished.
        Path failed = dir.resolve("failed");
        Cli.Result noRetry = preprocess(corpus, failed, "--dupe-factor", "2", "--shards", "2",
                "--spark-conf", "spark.sparkbert.test.failFirstAttemptOfShard=1");
        assertNotEquals(0, noRetry.exitCode());
        assertFalse(Files.exists(failed.resolve("manifest.json")));
        try (Stream<Path> siblings = Files.list(dir)) {
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "staging removed");
        }

        // With one retry (local[2,2]) the shard written by the second attempt is the same, byte for byte.
        Path retried = dir.resolve("retried");
        List<String> args = new ArrayList<>(List.of("preprocess", "--input", corpus.toString(), "--vocab",
                vocabFile.toString(), "--output", retried.toString(), "--master", "local[2,2]", "--dupe-factor", "2",
                "--shards", "2", "--spark-conf", "spark.sparkbert.test.failFirstAttemptOfShard=1"));
        assertEquals(0, Cli.run(args.toArray(String[]::new)).exitCode());
        for (Path shard : shardsOne) {
            assertArrayEquals(Files.readAllBytes(shard), Files.readAllBytes(retried.resolve(shard.getFileName())));
        }
    }

    @Test
    void finishedOutputsAreNeverReplacedUnlessAsked() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv").resolve("03-ruth.txt");
        Path output = dir.resolve("ds");
        assertEquals(0, preprocess(corpus, output, "--dupe-factor", "1").exitCode());
        byte[] manifest = Files.readAllBytes(output.resolve("manifest.json"));
        Cli.Result refused = preprocess(corpus, output, "--dupe-factor", "1", "--seed", "7");
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("already exists; pass --overwrite"), refused.err());
        assertArrayEquals(manifest, Files.readAllBytes(output.resolve("manifest.json")));

        assertEquals(0, preprocess(corpus, output, "--dupe-factor", "1", "--seed", "7", "--overwrite").exitCode());
        assertEquals(7, json(output.resolve("manifest.json")).path("config").path("seed").asLong());
    }

    @Test
    void incrementalRunsProcessOnlyNewFilesAndAreSafeToRepeat() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("growing"));
        Path kjv = ProjectFiles.corpus().resolve("kjv");
        Files.copy(kjv.resolve("03-ruth.txt"), corpus.resolve("a.txt"));
        Path output = dir.resolve("nightly");
        assertEquals(0, preprocess(corpus, output, "--dupe-factor", "1", "--incremental").exitCode());
        long firstSamples = json(output.resolve("manifest.json")).path("totals").path("samples").asLong();

        Files.copy(kjv.resolve("06-ecclesiastes.txt"), corpus.resolve("b.txt"));
        assertEquals(0, preprocess(corpus, output, "--dupe-factor", "1", "--incremental").exitCode());
        JsonNode manifest = json(output.resolve("manifest.json"));
        assertEquals(2, manifest.path("runs").size());
        JsonNode secondRun = manifest.path("runs").get(1);
        assertEquals(1, secondRun.path("files").size());
        assertTrue(secondRun.path("files").get(0).path("path").asText().endsWith("b.txt"));
        long total = manifest.path("totals").path("samples").asLong();
        assertEquals(total, readAll(output).size(), "every listed shard is there, nothing else");
        assertTrue(total > firstSamples);

        // nothing new: nothing done, nothing changed
        byte[] before = Files.readAllBytes(output.resolve("manifest.json"));
        Cli.Result again = preprocess(corpus, output, "--dupe-factor", "1", "--incremental");
        assertEquals(0, again.exitCode());
        assertTrue(again.err().contains("nothing to do"), again.err());
        assertArrayEquals(before, Files.readAllBytes(output.resolve("manifest.json")));

        // a different vocabulary or setting is refused
        Path otherVocab = dir.resolve("other-vocab.txt");
        Files.write(otherVocab, List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the"));
        Files.copy(kjv.resolve("03-ruth.txt"), corpus.resolve("c.txt"));
        Cli.Result wrongVocab = Cli.run("preprocess", "--input", corpus.toString(), "--vocab", otherVocab.toString(),
                "--output", output.toString(), "--master", "local[2]", "--dupe-factor", "1", "--incremental");
        assertEquals(2, wrongVocab.exitCode());
        assertTrue(wrongVocab.err().contains("vocabulary differs"), wrongVocab.err());
        Cli.Result wrongSetting = preprocess(corpus, output, "--dupe-factor", "2", "--incremental");
        assertEquals(2, wrongSetting.exitCode());
        assertTrue(wrongSetting.err().contains("dupe_factor 2 (manifest: 1)"), wrongSetting.err());
    }

    /**
     * What the union of nightly incremental runs equals, precisely. Each run is a full run over only its
     * new files, with the seed derived from (seed, run number): its shards are byte-identical to those of
     * a plain run over those files with that seed. Together the runs cover exactly the files and the
     * documents, sentences and tokens of one full run over the final directory. They do NOT hold the same
     * samples as that full run: a run's NotNext segments come from its own documents only, and runs after
     * the first draw from their own random streams (so a file added later does not repeat run 1's masks).
     */
    @Test
    void incrementalRunsEqualFullRunsOfTheirNewFilesWithPerRunSeeds() throws Exception {
        Path kjv = ProjectFiles.corpus().resolve("kjv");
        Path corpus = Files.createDirectories(dir.resolve("growing"));
        Path output = dir.resolve("nightly");
        String[] settings = {"--dupe-factor", "1", "--shards", "1"};
        Files.copy(kjv.resolve("03-ruth.txt"), corpus.resolve("a.txt"));
        assertEquals(0, preprocess(corpus, output, concat(settings, "--incremental")).exitCode());
        Files.copy(kjv.resolve("06-ecclesiastes.txt"), corpus.resolve("b.txt"));
        assertEquals(0, preprocess(corpus, output, concat(settings, "--incremental")).exitCode());
        JsonNode runs = json(output.resolve("manifest.json")).path("runs");
        assertEquals(List.of("a.txt"), fileNames(runs.get(0)));
        assertEquals(List.of("b.txt"), fileNames(runs.get(1)), "the second run read only the new file");

        // run 1 = a plain run over a.txt; run 2 = a plain run over b.txt with the seed derived for run 2
        Path onlyA = Files.createDirectories(dir.resolve("only-a")).resolve("a.txt");
        Path onlyB = Files.createDirectories(dir.resolve("only-b")).resolve("b.txt");
        Files.copy(corpus.resolve("a.txt"), onlyA);
        Files.copy(corpus.resolve("b.txt"), onlyB);
        long run2Seed = io.sparkbert.pipeline.samples.SeededRandom.seed(12345, 2);
        assertEquals(0, preprocess(onlyA.getParent(), dir.resolve("plain-a"), settings).exitCode());
        assertEquals(0, preprocess(onlyB.getParent(), dir.resolve("plain-b"),
                concat(settings, "--seed", Long.toString(run2Seed))).exitCode());
        assertArrayEquals(Files.readAllBytes(dir.resolve("plain-a").resolve("part-r0001-00000.parquet")),
                Files.readAllBytes(output.resolve("part-r0001-00000.parquet")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("plain-b").resolve("part-r0001-00000.parquet")),
                Files.readAllBytes(output.resolve("part-r0002-00000.parquet")));

        // the runs together cover what one full run over the final directory reads
        Path full = dir.resolve("full");
        assertEquals(0, preprocess(corpus, full, settings).exitCode());
        JsonNode fullManifest = json(full.resolve("manifest.json"));
        List<JsonNode> incrementalFiles = new ArrayList<>();
        runs.forEach(run -> run.path("files").forEach(incrementalFiles::add));
        List<JsonNode> fullFiles = new ArrayList<>();
        fullManifest.path("runs").get(0).path("files").forEach(fullFiles::add);
        assertEquals(fullFiles.stream().map(f -> f.path("path").asText() + " " + f.path("sha256").asText()).toList(),
                incrementalFiles.stream().map(f -> f.path("path").asText() + " " + f.path("sha256").asText()).toList());
        JsonNode fullInput = json(full.resolve("report.json")).path("input");
        JsonNode unionInput = json(output.resolve("report.json")).path("input");
        for (String count : List.of("files", "lines", "documents", "sentences", "tokens")) {
            assertEquals(fullInput.path(count).asLong(), unionInput.path(count).asLong(), count);
        }
        // ... but not the same samples (see above): say so plainly rather than test something weaker
        List<String> unionSamples = readAll(output).stream().map(PreprocessCommandTest::key).sorted().toList();
        List<String> fullSamples = readAll(full).stream().map(PreprocessCommandTest::key).sorted().toList();
        assertNotEquals(fullSamples, unionSamples);
    }

    private static String[] concat(String[] first, String... more) {
        return Stream.concat(Stream.of(first), Stream.of(more)).toArray(String[]::new);
    }

    private static List<String> fileNames(JsonNode run) {
        List<String> names = new ArrayList<>();
        run.path("files").forEach(f -> names.add(Path.of(java.net.URI.create(f.path("path").asText())).getFileName()
                .toString()));
        return names;
    }

    private static String key(TrainingSample s) {
        return java.util.Arrays.toString(s.inputIds()) + java.util.Arrays.toString(s.maskedLmPositions())
                + java.util.Arrays.toString(s.maskedLmIds()) + s.nextSentenceLabel();
    }

    @Test
    void badInputIsSkippedAndCountedAndNoGoodLineIsLost() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("bad"));
        // 4 good documents with 2+3+1+2 sentences; one sentence has invalid UTF-8 and control characters
        ByteArrayOutputStream good = new ByteArrayOutputStream();
        good.write("The first sentence.\nThe second one.\n\nA new document.\nIt goes on.\n".getBytes(StandardCharsets.UTF_8));
        good.write(new byte[] {'B', 'a', 'd', ' ', (byte) 0xFF, ' ', 'b', 'y', 't', 'e', 's', 0x07, '.', '\n'});
        good.write("\n\nOnly one sentence here.\n\n\n".getBytes(StandardCharsets.UTF_8));
        // a document whose only line is control characters: an empty sentence, then an empty document
        good.write("\u0001\u0002\n\n".getBytes(StandardCharsets.UTF_8));
        good.write("Last document.\nReally the last.".getBytes(StandardCharsets.UTF_8)); // no final newline
        Files.write(corpus.resolve("good.txt"), good.toByteArray());
        Files.write(corpus.resolve("empty.txt"), new byte[0]);
        byte[] binary = new byte[4096];
        new Random(1).nextBytes(binary);
        binary[100] = 0;
        Files.write(corpus.resolve("binary.bin"), binary);
        byte[] huge = new byte[10 << 20];
        java.util.Arrays.fill(huge, (byte) 'x');
        Files.write(corpus.resolve("huge-line.txt"), huge); // 10 MB, no newline

        Path output = dir.resolve("bad-out");
        Cli.Result result = preprocess(corpus, output, "--dupe-factor", "2");
        assertEquals(0, result.exitCode(), result.err());
        JsonNode input = json(output.resolve("report.json")).path("input");
        assertEquals(4, input.path("files").asLong());
        assertEquals(4, input.path("documents").asLong());
        assertEquals(8, input.path("sentences").asLong());
        assertEquals(1, input.path("empty_files").asLong());
        assertEquals(1, input.path("binary_files_skipped").asLong());
        assertEquals(1, input.path("long_lines_dropped").asLong());
        assertEquals(1, input.path("invalid_utf8_sequences_replaced").asLong());
        assertEquals(3, input.path("control_characters_removed").asLong());
        assertEquals(1, input.path("empty_sentences_dropped").asLong());
        assertEquals(1, input.path("empty_documents_skipped").asLong());
        assertEquals(1, input.path("single_sentence_documents").asLong());

        // every good sentence's words reach the samples
        StringBuilder text = new StringBuilder();
        for (TrainingSample s : readAll(output)) {
            for (int i = 0; i < s.length(); i++) {
                text.append(vocab.token(s.inputIds()[i])).append(' ');
            }
            for (int p = 0; p < s.maskedLmIds().length; p++) {
                text.append(vocab.token(s.maskedLmIds()[p])).append(' ');
            }
        }
        for (String word : List.of("first", "second", "document", "goes", "bad", "bytes", "only", "really", "last")) {
            assertTrue(text.toString().contains(word), word + " missing from the samples");
        }
    }

    @Test
    void jsonLinesAreSplitIntoSentences() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("jsonl"));
        Files.writeString(corpus.resolve("docs.jsonl"), String.join("\n",
                "{\"text\": \"Dr. Smith went to Washington. He arrived at 3.30 p.m. on Monday! Was he late?\"}",
                "{\"id\": 2, \"text\": \"A second document. It has two sentences.\"}",
                "not json at all",
                "{\"title\": \"no text field\"}") + "\n");
        Path output = dir.resolve("jsonl-out");
        assertEquals(0, preprocess(corpus, output, "--format", "jsonl", "--dupe-factor", "1").exitCode());
        JsonNode input = json(output.resolve("report.json")).path("input");
        assertEquals(2, input.path("documents").asLong());
        assertEquals(5, input.path("sentences").asLong());
        assertEquals(2, input.path("malformed_json_lines").asLong());
    }

    @Test
    void clearErrorsBeforeAnyWork() throws Exception {
        Cli.Result missing = preprocess(dir.resolve("nope"), dir.resolve("o"));
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("input path does not exist"), missing.err());

        Path emptyCorpus = Files.createDirectories(dir.resolve("empty"));
        Files.write(emptyCorpus.resolve("a.txt"), new byte[0]);
        Cli.Result empty = preprocess(emptyCorpus, dir.resolve("o2"));
        assertEquals(2, empty.exitCode());
        assertTrue(empty.err().contains("the corpus has no documents"), empty.err());
        assertFalse(Files.exists(dir.resolve("o2")));

        Cli.Result noVocab = Cli.run("preprocess", "--input", emptyCorpus.toString(), "--vocab",
                dir.resolve("none.txt").toString(), "--output", dir.resolve("o3").toString(), "--master", "local[1]");
        assertEquals(2, noVocab.exitCode());
        assertTrue(noVocab.err().contains("vocabulary file not found"), noVocab.err());
    }
}
