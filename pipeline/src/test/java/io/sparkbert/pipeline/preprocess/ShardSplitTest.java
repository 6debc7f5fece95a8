package io.sparkbert.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.samples.TrainingSample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards written by Spark (as preprocess writes them) read back by {@link ShardSplit} and {@link SampleReadSupport}:
 * every sample once, whatever the ranges a shard of several row groups is cut into, equal to what was written.
 */
class ShardSplitTest {
    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("ShardSplitTest")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void aShardOfSeveralRowGroupsReadsEverySampleOnceWhateverItsRanges() throws Exception {
        List<TrainingSample> written = samples(600, 24, 4, new Random(7));
        String shard = writeShard(written, dir.resolve("shard"), 4096);
        Configuration hadoop = new Configuration();
        int rowGroups;
        try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(shard), hadoop))) {
            rowGroups = footer.getRowGroups().size();
        }
        assertTrue(rowGroups >= 3, "row groups: " + rowGroups);
        long length = Files.size(Path.of(new java.net.URI(shard)));

        // one range per shard, ranges of several row groups, and ranges smaller than a row group (most hold none)
        for (long maxBytes : new long[]{length, length / 3, length / 7, length / 40}) {
            List<ShardSplit> splits = ShardSplit.of(List.of(shard), hadoop, maxBytes);
            assertEquals(Math.max(1, (length + maxBytes - 1) / maxBytes), splits.size());
            assertEquals(0, splits.get(0).start());
            assertEquals(length, splits.get(splits.size() - 1).end());
            for (int i = 1; i < splits.size(); i++) {
                assertEquals(splits.get(i - 1).end(), splits.get(i).start(), "ranges meet");
            }
            assertEquals(describe(written), describe(read(splits.iterator(), hadoop)), "max bytes " + maxBytes);
        }
    }

    @Test
    void trainingReadsWhatSparkSqlAndPlainParquetRead() throws Exception {
        List<TrainingSample> written = samples(120, 16, 3, new Random(11));
        String first = writeShard(written.subList(0, 50), dir.resolve("a"), 1 << 20);
        String second = writeShard(written.subList(50, 120), dir.resolve("b"), 2048);
        SampleDataset.Info info = new SampleDataset.Info(null, true, 16, 3, 0.15, List.of(first, second), 120);

        List<String> ours = info.read(spark).map(ShardSplitTest::describe).collect();
        List<String> sparkSql = new ArrayList<>();
        for (Row row : spark.read().parquet(first, second).collectAsList()) {
            sparkSql.add(describe(row));
        }
        List<String> plain = new ArrayList<>();
        for (String shard : List.of(first, second)) {
            try (SampleReader reader = new SampleReader(shard, new Configuration())) {
                reader.read(-1).forEach(s -> plain.add(describe(s)));
            }
        }
        assertEquals(sorted(describe(written)), sorted(ours));
        assertEquals(sorted(sparkSql), sorted(ours));
        assertEquals(sorted(plain), sorted(ours));
    }

    @Test
    void aFileWithoutTheSampleColumnsIsRefusedByName() throws Exception {
        String file = dir.resolve("other").toUri().toString();
        spark.range(5).toDF("input_ids").coalesce(1).write().parquet(file);
        String part;
        try (var files = Files.list(dir.resolve("other"))) {
            part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow()
                    .toUri().toString();
        }
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> read(
                ShardSplit.of(List.of(part), new Configuration(), 1 << 20).iterator(), new Configuration()));
        assertTrue(refused.getMessage().contains("no column token_type_ids"), refused.getMessage());
    }

    /** Random samples of {@code seqLen} tokens, {@code predictions} masked positions, some padding and zero weights. */
    private static List<TrainingSample> samples(int n, int seqLen, int predictions, Random random) {
        List<TrainingSample> samples = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            int length = 3 + random.nextInt(seqLen - 2);
            int[] ids = new int[seqLen];
            int[] types = new int[seqLen];
            int[] mask = new int[seqLen];
            for (int i = 0; i < length; i++) {
                ids[i] = random.nextInt(30_000);
                types[i] = i > length / 2 ? 1 : 0;
                mask[i] = 1;
            }
            int[] positions = new int[predictions];
            int[] labels = new int[predictions];
            float[] weights = new float[predictions];
            for (int p = 0; p < predictions && p < length - 1; p++) {
                positions[p] = 1 + p;
                labels[p] = random.nextInt(30_000);
                weights[p] = random.nextBoolean() ? 1f : 0.5f;
            }
            samples.add(new TrainingSample(ids, types, mask, positions, labels, weights, random.nextInt(2), length,
                    0, 0, 0, 0));
        }
        return samples;
    }

    /** Writes the samples as one Parquet file through Spark with row groups of about {@code blockBytes}. */
    private static String writeShard(List<TrainingSample> samples, Path out, int blockBytes) throws IOException {
        List<Row> rows = samples.stream().map(SampleColumns::toRow).toList();
        spark.createDataFrame(rows, SampleColumns.SCHEMA).coalesce(1).write()
                .option("parquet.block.size", blockBytes).option("parquet.page.size", 1024).parquet(out.toString());
        try (var files = Files.list(out)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow()
                    .toUri().toString();
        }
    }

    private static List<TrainingSample> read(Iterator<ShardSplit> splits, Configuration hadoop) {
        List<TrainingSample> out = new ArrayList<>();
        ShardSplit.samples(splits, hadoop).forEachRemaining(out::add);
        return out;
    }

    private static List<String> describe(List<TrainingSample> samples) {
        return samples.stream().map(ShardSplitTest::describe).toList();
    }

    private static List<String> sorted(List<String> values) {
        return values.stream().sorted().toList();
    }

    /** A sample as text, every column and the length (PreprocessRunTest compares readers with it too). */
    static String describe(TrainingSample s) {
        return Arrays.toString(s.inputIds()) + Arrays.toString(s.tokenTypeIds()) + Arrays.toString(s.attentionMask())
                + Arrays.toString(s.maskedLmPositions()) + Arrays.toString(s.maskedLmIds())
                + Arrays.toString(s.maskedLmWeights()) + s.nextSentenceLabel() + "/" + s.length();
    }

    /** The same description from Spark SQL's own reading of a row (its length from the attention mask). */
    private static String describe(Row row) {
        List<Integer> attention = row.getList(row.fieldIndex(SampleColumns.ATTENTION_MASK));
        return ints(row, SampleColumns.INPUT_IDS) + ints(row, SampleColumns.TOKEN_TYPE_IDS)
                + ints(row, SampleColumns.ATTENTION_MASK) + ints(row, SampleColumns.MASKED_LM_POSITIONS)
                + ints(row, SampleColumns.MASKED_LM_IDS)
                + row.getList(row.fieldIndex(SampleColumns.MASKED_LM_WEIGHTS)).toString()
                + row.getInt(row.fieldIndex(SampleColumns.NEXT_SENTENCE_LABEL)) + "/"
                + attention.stream().mapToInt(Integer::intValue).sum();
    }

    private static String ints(Row row, String column) {
        return row.getList(row.fieldIndex(column)).toString();
    }
}
