package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distributed GloVe training on a real local[2] Spark (with the project's Kryo setup), on a synthetic
 * corpus with a known block structure: two groups of words, each sentence made of one group's words.
 */
class GloveTrainerTest {
    private static final int GROUP = 8;
    private static final int DIM = 10;
    private static final int ITERATIONS = 40;

    private static SparkSession spark;
    private static List<String> vocab;
    private static JavaRDD<GloveEntry> entries;
    private static List<GloveEntry> entryList;

    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("GloveTrainerTest")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", "io.sparkbert.pipeline.util.SparkbertKryoRegistrator")
                .getOrCreate();
        Path cooccur = Files.createDirectories(dir.resolve("cooccur"));
        writeSyntheticCooccurrences(cooccur, 300, 5, 2024);
        vocab = GloveOutput.readVocab(cooccur.resolve("vocab.txt").toString(), new Configuration());
        entries = GloveTrainer.readCooccurrences(spark, cooccur.resolve("cooccurrence.parquet").toString());
        entryList = entries.collect();
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    /**
     * A few hundred random "sentences", each of words from one group (a0..a7 or b0..b7) but for a word
     * from the other group now and then (1 in 10), counted as GloVe's cooccur does (symmetric window,
     * 1/distance); writes vocab.txt (by count descending) and the co-occurrences as Parquet, with Spark.
     *
     * <p>Why the stray words: GloVe fits only the non-zero entries of X. Were the matrix exactly
     * block-diagonal, nothing in the objective would relate one group's vectors to the other's, and
     * whether they end up apart would be up to the random start. The rare cross-group co-occurrences
     * (about 1/9 of the within-group ones, so log X lower by ~2.2) are what must push the groups apart.
     */
    static void writeSyntheticCooccurrences(Path out, int sentences, int window, long seed) throws IOException {
        Random random = new Random(seed);
        List<List<String>> corpus = new ArrayList<>();
        Map<String, Integer> counts = new HashMap<>();
        for (int s = 0; s < sentences; s++) {
            boolean groupA = random.nextBoolean();
            List<String> sentence = new ArrayList<>();
            int length = 6 + random.nextInt(10);
            for (int n = 0; n < length; n++) {
                boolean stray = random.nextInt(10) == 0;
                String word = (groupA != stray ? "a" : "b") + random.nextInt(GROUP);
                sentence.add(word);
                counts.merge(word, 1, Integer::sum);
            }
            corpus.add(sentence);
        }
        List<String> words = new ArrayList<>(counts.keySet());
        words.sort(Comparator.<String, Integer>comparing(counts::get).reversed().thenComparing(w -> w));
        Map<String, Integer> ids = new HashMap<>();
        StringBuilder vocabText = new StringBuilder();
        for (String word : words) {
            ids.put(word, ids.size() + 1);
            vocabText.append(word).append(' ').append(counts.get(word)).append('\n');
        }
        Files.writeString(out.resolve("vocab.txt"), vocabText, StandardCharsets.UTF_8);
        Map<Long, Double> x = new TreeMap<>();
        for (List<String> sentence : corpus) {
            for (int n = 0; n < sentence.size(); n++) {
                for (int distance = 1; distance <= window && n - distance >= 0; distance++) {
                    int w = ids.get(sentence.get(n));
                    int c = ids.get(sentence.get(n - distance));
                    x.merge(((long) c << 32) | w, 1.0 / distance, Double::sum);
                    x.merge(((long) w << 32) | c, 1.0 / distance, Double::sum);
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        x.forEach((key, value) -> rows.add(RowFactory.create((int) (key >>> 32), (int) (long) key, value)));
        StructType schema = new StructType()
                .add("word_id", DataTypes.IntegerType, false)
                .add("context_id", DataTypes.IntegerType, false)
                .add("value", DataTypes.DoubleType, false);
        Dataset<Row> frame = spark.createDataFrame(rows, schema).repartition(3);
        frame.write().parquet(out.resolve("cooccurrence.parquet").toString());
    }

    private static GloveConfig config(long seed, int partitions) {
        return GloveConfig.defaults(seed).withDim(DIM).withIterations(ITERATIONS).withPartitions(partitions);
    }

    @Test
    void theSyntheticInputHasTheBlockStructure() {
        assertEquals(2 * GROUP, vocab.size());
        assertTrue(entryList.size() > 100, "entries: " + entryList.size());
        double within = 0;
        double across = 0;
        for (GloveEntry e : entryList) {
            assertTrue(e.value() > 0);
            if (vocab.get(e.word() - 1).charAt(0) == vocab.get(e.context() - 1).charAt(0)) {
                within += e.value();
            } else {
                across += e.value();
            }
        }
        assertTrue(across > 0 && within > 4 * across, "mostly within the groups: " + within + " vs " + across);
        // and the values go past x_max for frequent pairs and stay below it for others: both branches of f
        assertTrue(entryList.stream().anyMatch(e -> e.value() > 100));
        assertTrue(entryList.stream().anyMatch(e -> e.value() < 100));
    }

    @Test
    void costFallsEveryIterationAndGroupsBecomeNeighbours() {
        List<Double> seen = new ArrayList<>();
        GloveTrainer.Result result = new GloveTrainer(config(7, 2)).train(entries, vocab.size(),
                (iteration, cost, skipped) -> seen.add(cost));
        System.out.println("GloveTrainerTest cost per iteration (2 partitions): " + result.costs());
        assertEquals(ITERATIONS, result.costs().size());
        assertEquals(result.costs(), seen, "the listener hears every iteration's cost");
        assertEquals(entryList.size(), result.entries());
        assertEquals(2, result.partitions());
        for (int i = 1; i < result.costs().size(); i++) {
            assertTrue(result.costs().get(i) < result.costs().get(i - 1),
                    "cost must fall every iteration: " + result.costs());
        }
        assertTrue(result.costs().get(ITERATIONS - 1) < 0.5 * result.costs().get(0), result.costs().toString());
        for (long skipped : result.skipped()) {
            assertEquals(0, skipped);
        }
        assertEquals(result.costs().get(ITERATIONS - 1), result.finalCost());
        Map<String, Object> report = result.report(config(7, 2), "vectors.txt", "vectors.bin", "pairs", vocab.size(),
                1.5);
        assertEquals(result.costs(), report.get("cost_per_iteration"));
        assertEquals(result.skipped(), report.get("skipped_per_iteration"));
        assertEquals(DIM, report.get("dim"));
        assertEquals(7L, report.get("seed"));
        assertEquals((long) entryList.size(), report.get("cooccurrences"));
        // W and its AdaGrad sums: 2V rows of (d + 1) doubles each, twice
        assertEquals(2L * 2 * vocab.size() * (DIM + 1) * Double.BYTES, report.get("model_bytes"));
        assertEquals(List.of("output", "binary", "input", "vocab_size", "cooccurrences", "dim", "iterations", "x_max",
                "alpha", "eta", "grad_clip", "seed", "partitions", "cost_per_iteration", "skipped_per_iteration",
                "model_bytes", "seconds"), List.copyOf(report.keySet()));

        List<double[]> vectors = new ArrayList<>();
        for (int id = 1; id <= vocab.size(); id++) {
            vectors.add(result.model().vector(id));
        }
        GloveVectors neighbors = GloveVectors.of(vocab, vectors);
        for (String word : vocab) {
            List<GloveVectors.Neighbor> nearest = neighbors.nearest(word, GROUP - 1);
            for (GloveVectors.Neighbor n : nearest) {
                assertEquals(word.charAt(0), n.word().charAt(0),
                        "the " + (GROUP - 1) + " nearest neighbours of " + word + " are its group: " + nearest);
            }
        }
    }

    @Test
    void onePartitionIsExactlyTheSingleThreadedAlgorithm() {
        GloveConfig config = config(3, 1).withIterations(8);
        GloveTrainer.Result distributed = new GloveTrainer(config).train(entries, vocab.size(), null);

        // the same updates, in the order the shuffle gave the one partition, on one thread
        List<GloveEntry> order = new ArrayList<>();
        GloveTrainer.entries(GloveTrainer.shuffle(entries, 3, 1).collect().iterator()).forEachRemaining(order::add);
        assertEquals(entryList.size(), order.size());
        GloveModel local = GloveModel.initialize(vocab.size(), DIM, 3);
        for (int iteration = 0; iteration < config.iterations(); iteration++) {
            GloveModel.PassStats stats = local.pass(order.iterator(), config);
            assertEquals(stats.meanCost(), distributed.costs().get(iteration), 0.0, "iteration " + (iteration + 1));
        }
        assertArrayEquals(local.parameters(), distributed.model().parameters(), 0.0);
        assertArrayEquals(local.gradsq(), distributed.model().gradsq(), 0.0);
    }

    @Test
    void theShuffleIsAFixedPermutation() {
        List<GloveTrainer.EntryBlock> blocks = GloveTrainer.shuffle(entries, 5, 3).collect();
        List<GloveEntry> shuffled = new ArrayList<>();
        GloveTrainer.entries(blocks.iterator()).forEachRemaining(shuffled::add);
        assertEquals(new HashSet<>(entryList), new HashSet<>(shuffled), "every entry exactly once");
        assertEquals(entryList.size(), shuffled.size());
        assertFalse(shuffled.equals(entryList), "not the input order");
        List<GloveEntry> again = new ArrayList<>();
        JavaRDD<GloveEntry> reordered = entries.repartition(4); // input partitioning does not matter
        GloveTrainer.entries(GloveTrainer.shuffle(reordered, 5, 3).collect().iterator()).forEachRemaining(again::add);
        assertEquals(shuffled, again);
        List<GloveEntry> otherSeed = new ArrayList<>();
        GloveTrainer.entries(GloveTrainer.shuffle(entries, 6, 3).collect().iterator())
                .forEachRemaining(otherSeed::add);
        assertFalse(shuffled.equals(otherSeed));
    }

    @Test
    void sameSeedAndPartitionsGiveIdenticalVectors() {
        GloveConfig config = config(11, 2).withIterations(4);
        GloveModel first = new GloveTrainer(config).train(entries, vocab.size(), null).model();
        GloveModel second = new GloveTrainer(config).train(entries.repartition(5), vocab.size(), null).model();
        assertArrayEquals(first.parameters(), second.parameters(), 0.0);
        assertArrayEquals(first.gradsq(), second.gradsq(), 0.0);
        GloveModel otherSeed = new GloveTrainer(config.withSeed(12)).train(entries, vocab.size(), null).model();
        assertFalse(java.util.Arrays.equals(first.parameters(), otherSeed.parameters()));
    }

    @Test
    void averagingIsPerRowOverThePartitionsThatTouchedIt() {
        double[] a = {1, 2, 3};
        double[] b = {3, 6, 9};
        double[] mean = GloveTrainer.combine(4, List.of(new scala.Tuple2<>(1, b), new scala.Tuple2<>(0, a)));
        assertArrayEquals(new double[] {2, 4, 6}, mean, 0.0);
        assertArrayEquals(a, GloveTrainer.combine(4, List.of(new scala.Tuple2<>(0, a))), 0.0, "one partition: as is");
        assertArrayEquals(new double[] {4, 8, 12},
                GloveTrainer.combine(-1, List.of(new scala.Tuple2<>(0, a), new scala.Tuple2<>(1, b))), 0.0,
                "the statistics record is summed");
    }

    @Test
    void invalidInputIsAClearError() {
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<GloveEntry> outOfRange = context.parallelize(List.of(new GloveEntry(1, 2, 1.0),
                new GloveEntry(1, 17, 2.0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GloveTrainer(config(1, 2)).train(outOfRange, 16, null));
        assertTrue(e.getMessage().contains("context_id 17") && e.getMessage().contains("1..16"), e.getMessage());
        JavaRDD<GloveEntry> zero = context.parallelize(List.of(new GloveEntry(1, 2, 0.0)));
        assertThrows(IllegalArgumentException.class, () -> new GloveTrainer(config(1, 2)).train(zero, 16, null));
        JavaRDD<GloveEntry> none = context.parallelize(List.<GloveEntry>of(), 2);
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> new GloveTrainer(config(1, 2)).train(none, 16, null));
        assertTrue(empty.getMessage().contains("no co-occurrences"), empty.getMessage());
        String wrong = dir.resolve("wrong.parquet").toString();
        StructType schema = new StructType().add("w1", DataTypes.IntegerType).add("w2", DataTypes.IntegerType)
                .add("value", DataTypes.DoubleType);
        spark.createDataFrame(List.of(RowFactory.create(1, 2, 3.0)), schema).write().parquet(wrong);
        IllegalArgumentException noColumn = assertThrows(IllegalArgumentException.class,
                () -> GloveTrainer.readCooccurrences(spark, wrong));
        assertTrue(noColumn.getMessage().contains("no column word_id"), noColumn.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> GloveTrainer.readCooccurrences(spark, dir.resolve("nothing.parquet").toString()));
        assertTrue(missing.getMessage().contains("co-occurrences not found"), missing.getMessage());
    }

    @Test
    void rowsOnlyTravelWhenTouched() {
        // a partition whose entries touch word 1 and context 2 only sends those two rows (and its statistics)
        GloveModel model = GloveModel.initialize(5, 3, 1);
        GloveModel before = model.copy();
        GloveTrainer.EntryBlock block = new GloveTrainer.EntryBlock(new int[] {1, 1}, new int[] {2, 2},
                new double[] {3.0, 4.0});
        List<Integer> rows = new ArrayList<>();
        GloveTrainer.localPass(0, List.of(block).iterator(), model, config(1, 1))
                .forEachRemaining(t -> rows.add(t._1));
        assertEquals(List.of(0, 5 + 1, -1), rows);
        assertArrayEquals(before.parameters(), model.parameters(), 0.0, "the shared model is never written");
        assertArrayEquals(before.gradsq(), model.gradsq(), 0.0);
    }
}
