package io.sparkbert.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.OutputExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The incremental protocol as a library call, without the command line (the command's tests cover the CLI). */
class PreprocessRunTest {
    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("PreprocessRunTest")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Vocab vocab() {
        List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (String w : "the a cat dog sat ran on mat far away and then it was . ,".split(" ")) {
            tokens.add(w);
        }
        return Vocab.of(tokens);
    }

    private static void document(Path file, int n) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int d = 0; d < n; d++) {
            text.append("the cat sat on the mat .\nthe dog ran far away .\nand then it was a dog .\n\n");
        }
        Files.writeString(file, text);
    }

    private PreprocessRun.Request request(Path input, Path output, SampleConfig samples, boolean incremental,
                                          boolean overwrite) {
        return new PreprocessRun.Request(List.of(input.toUri().toString()), output.toUri().toString(), vocab(),
                DocumentParser.Format.LINES, false, samples, 2, 1, 1 << 20, incremental, overwrite);
    }

    private static JsonNode manifest(Path output) throws Exception {
        return new ObjectMapper().readTree(output.resolve(SampleDataset.MANIFEST).toFile());
    }

    @Test
    void aFullRunThenIncrementalRunsAddOnlyNewFilesWithTheirOwnSeed() throws Exception {
        Path input = Files.createDirectories(dir.resolve("corpus"));
        Path output = dir.resolve("samples");
        SampleConfig samples = new SampleConfig(16, 3, 0.15, 0.1, 2, false, SampleConfig.Truncation.HEAD, 7);
        document(input.resolve("a.txt"), 6);
        List<String> notes = new ArrayList<>();

        PreprocessRun.Outcome first = PreprocessRun.run(spark, request(input, output, samples, true, false), notes::add);
        assertEquals(1, first.run());
        assertEquals(Files.size(input.resolve("a.txt")), first.inputBytes());

        PreprocessRun.Outcome again = PreprocessRun.run(spark, request(input, output, samples, true, false), notes::add);
        assertTrue(again.nothingToDo());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("nothing to do")), notes.toString());

        document(input.resolve("b.txt"), 4);
        PreprocessRun.Outcome second = PreprocessRun.run(spark, request(input, output, samples, true, false), notes::add);
        assertEquals(2, second.run());
        assertEquals(Files.size(input.resolve("b.txt")), second.inputBytes());
        JsonNode runs = manifest(output).path("runs");
        assertEquals(2, runs.size());
        assertTrue(second.result().shardFiles().stream().allMatch(s -> s.contains("part-r0002")),
                second.result().shardFiles().toString());
        // run 2 draws from its own stream: same config, another seed
        assertNotEquals(samples.seed(), PreprocessRun.samplesOfRun(samples, 2).seed());
        assertEquals(samples.seed(), PreprocessRun.samplesOfRun(samples, 1).seed());
    }

    @Test
    void anIncrementalRunWithOtherSettingsIsRefusedAndAFinishedDatasetIsNotOverwritten() throws Exception {
        Path input = Files.createDirectories(dir.resolve("corpus"));
        Path output = dir.resolve("samples");
        SampleConfig samples = new SampleConfig(16, 3, 0.15, 0.1, 1, false, SampleConfig.Truncation.HEAD, 7);
        document(input.resolve("a.txt"), 5);
        PreprocessRun.run(spark, request(input, output, samples, false, false), n -> { });
        byte[] manifestBefore = Files.readAllBytes(output.resolve(SampleDataset.MANIFEST));

        document(input.resolve("b.txt"), 3);
        SampleConfig longer = new SampleConfig(32, 3, 0.15, 0.1, 1, false, SampleConfig.Truncation.HEAD, 7);
        IllegalArgumentException differs = assertThrows(IllegalArgumentException.class,
                () -> PreprocessRun.run(spark, request(input, output, longer, true, false), n -> { }));
        assertTrue(differs.getMessage().contains("max_seq_length 32 (manifest: 16)"), differs.getMessage());
        assertThrows(OutputExistsException.class,
                () -> PreprocessRun.run(spark, request(input, output, samples, false, false), n -> { }));
        assertEquals(new String(manifestBefore), Files.readString(output.resolve(SampleDataset.MANIFEST)));
        assertFalse(Files.list(output).anyMatch(p -> p.getFileName().toString().contains("tmp")));
        assertThrows(IllegalArgumentException.class, () -> request(input, output, samples, true, true));
        new SampleDataset(output.toUri().toString(), new Configuration()).manifest();
    }

    @Test
    void openedDatasetsReadTheSameSamplesThroughSparkAndThroughPlainParquet() throws Exception {
        Path input = Files.createDirectories(dir.resolve("corpus"));
        SampleConfig samples = new SampleConfig(16, 3, 0.15, 0.1, 2, false, SampleConfig.Truncation.HEAD, 7);
        document(input.resolve("a.txt"), 6);
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        PreprocessRun.run(spark, request(input, first, samples, false, false), n -> { });
        PreprocessRun.run(spark, request(input, second, samples, false, false), n -> { });

        SampleDataset.Info info = SampleDataset.open(List.of(first.toUri().toString(), second.toUri().toString()),
                new Configuration());
        assertEquals(16, info.seqLen());
        assertEquals(3, info.maxPredictions());
        assertEquals(vocab().sha256(), info.vocab().sha256());
        List<String> viaSpark = info.read(spark).map(ShardSplitTest::describe).collect();
        List<String> viaParquet = new ArrayList<>();
        for (String shard : info.shards()) {
            try (SampleReader reader = new SampleReader(shard, new Configuration())) {
                reader.read(-1).forEach(s -> viaParquet.add(ShardSplitTest.describe(s)));
            }
        }
        assertEquals(info.samples(), viaSpark.size());
        assertTrue(viaSpark.size() > 10, "samples: " + viaSpark.size());
        assertEquals(viaParquet.stream().sorted().toList(), viaSpark.stream().sorted().toList());
        // the same run twice: every sample twice
        assertEquals(viaSpark.size() / 2, viaSpark.stream().distinct().count());

        SampleConfig longer = new SampleConfig(32, 3, 0.15, 0.1, 1, false, SampleConfig.Truncation.HEAD, 7);
        Path other = dir.resolve("other");
        PreprocessRun.run(spark, request(input, other, longer, false, false), n -> { });
        IllegalArgumentException differ = assertThrows(IllegalArgumentException.class,
                () -> SampleDataset.open(List.of(first.toUri().toString(), other.toUri().toString()),
                        new Configuration()));
        assertTrue(differ.getMessage().contains("datasets differ"), differ.getMessage());
    }
}
