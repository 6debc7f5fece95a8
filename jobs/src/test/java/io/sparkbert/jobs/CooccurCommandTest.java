package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cooccur end to end, on real Spark (local[2]) and in the driver's threads without Spark: GloVe's semantics,
 * formats, determinism, safety, and the same bytes from both runners.
 */
class CooccurCommandTest {
    /** On Spark whatever the corpus's size. */
    private static final String[] ON_SPARK = {"--in-driver-max-mb", "0"};

    @TempDir
    Path dir;

    /** cooccur on local[2] on Spark (extra options may name another runner). */
    private static Cli.Result cooccur(Path input, Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("cooccur", "--input", input.toString(), "--output",
                output.toString(), "--master", "local[2]"));
        args.addAll(List.of(ON_SPARK));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    /** cooccur with cooccur.conf's defaults for the runner: a small local corpus is counted in the driver. */
    private static Cli.Result cooccurByDefault(Path input, Path output, String master, String... extra) {
        List<String> args = new ArrayList<>(List.of("cooccur", "--input", input.toString(), "--output",
                output.toString(), "--master", master));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private static JsonNode report(Path output) throws java.io.IOException {
        return new ObjectMapper().readTree(output.resolve("report.json").toFile());
    }

    /** Every output file of {@code a} equals {@code b}'s byte for byte, and the reports but for time and runner. */
    private static void assertSameOutputs(Path a, Path b) throws Exception {
        assertArrayEquals(Files.readAllBytes(a.resolve("vocab.txt")), Files.readAllBytes(b.resolve("vocab.txt")));
        assertArrayEquals(Files.readAllBytes(a.resolve("cooccurrence.bin")),
                Files.readAllBytes(b.resolve("cooccurrence.bin")));
        List<String> parts = listNames(a.resolve("cooccurrence.parquet"));
        assertEquals(parts, listNames(b.resolve("cooccurrence.parquet")));
        assertTrue(parts.size() > 1, "several ranges: " + parts);
        for (String part : parts) {
            assertArrayEquals(Files.readAllBytes(a.resolve("cooccurrence.parquet").resolve(part)),
                    Files.readAllBytes(b.resolve("cooccurrence.parquet").resolve(part)), part);
        }
        com.fasterxml.jackson.databind.node.ObjectNode ra = (com.fasterxml.jackson.databind.node.ObjectNode) report(a);
        com.fasterxml.jackson.databind.node.ObjectNode rb = (com.fasterxml.jackson.databind.node.ObjectNode) report(b);
        for (String varying : List.of("seconds", "tokens_per_sec", "counted_on")) {
            ra.remove(varying);
            rb.remove(varying);
        }
        assertEquals(ra, rb);
    }

    private static List<String> listNames(Path directory) throws java.io.IOException {
        try (var files = Files.list(directory)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** Reads GloVe's binary records with a plain little-endian reader: "w1,w2" -> value, in file order. */
    private static Map<String, Double> readBinary(Path file, List<long[]> order) throws Exception {
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, buffer.remaining() % 16, "16-byte records");
        Map<String, Double> x = new java.util.LinkedHashMap<>();
        while (buffer.hasRemaining()) {
            int w1 = buffer.getInt();
            int w2 = buffer.getInt();
            double value = buffer.getDouble();
            x.put(w1 + "," + w2, value);
            if (order != null) {
                order.add(new long[] {w1, w2});
            }
        }
        return x;
    }

    @Test
    void handWorkedCorpusGivesGlovesVocabularyAndCounts() throws Exception {
        Path corpus = dir.resolve("tiny.txt");
        // counts: a 4, b 3, c 2, z 1 (below min-count 2: dropped before distances are counted)
        Files.writeString(corpus, "a b z a\nc a\r\nb\tc b a\n");
        Path onSpark = dir.resolve("out");
        Cli.Result result = cooccur(corpus, onSpark, "--min-count", "2", "--window", "2");
        assertEquals(0, result.exitCode(), result.err());
        assertEquals("spark (local[2])", report(onSpark).get("counted_on").asText());
        Path inDriver = dir.resolve("out-driver");
        Cli.Result driverResult = cooccurByDefault(corpus, inDriver, "local[2]", "--min-count", "2", "--window", "2");
        assertEquals(0, driverResult.exitCode(), driverResult.err());
        assertEquals("driver (2 threads)", report(inDriver).get("counted_on").asText());
        assertTrue(driverResult.err().contains("counted on driver (2 threads)"), driverResult.err());
        for (Path output : List.of(onSpark, inDriver)) {
            checkHandWorked(output);
        }
    }

    private static void checkHandWorked(Path output) throws Exception {
        assertEquals("a 4\nb 3\nc 2\n", Files.readString(output.resolve("vocab.txt")));
        // ids a=1 b=2 c=3. Lines as in-vocab ids: [1 2 1] (z takes no position), [3 1], [2 3 2 1].
        // line 1: (1,2,d1) (2,1,d1) (1,1,d2) ; line 2: (3,1,d1) ;
        // line 3: (2,3,d1) (3,2,d1) (2,2,d2) (2,1,d1) (3,1,d2); symmetric adds each reversed.
        Map<String, Double> expected = new HashMap<>();
        double[][] pairs = {{1, 2, 1}, {2, 1, 1}, {1, 1, 2}, {3, 1, 1}, {2, 3, 1}, {3, 2, 1}, {2, 2, 2}, {2, 1, 1},
            {3, 1, 2}};
        for (double[] p : pairs) {
            expected.merge((int) p[0] + "," + (int) p[1], 1 / p[2], Double::sum);
            expected.merge((int) p[1] + "," + (int) p[0], 1 / p[2], Double::sum);
        }
        List<long[]> order = new ArrayList<>();
        Map<String, Double> actual = readBinary(output.resolve("cooccurrence.bin"), order);
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertEquals(v, actual.get(k), 1e-15, k));
        for (int i = 1; i < order.size(); i++) { // GloVe's order: word1, then word2
            long[] a = order.get(i - 1);
            long[] b = order.get(i);
            assertTrue(a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]), "sorted at record " + i);
        }
        JsonNode report = report(output);
        assertEquals(10, report.get("tokens").asLong());
        assertEquals(3, report.get("vocab_size").asLong());
        assertEquals(expected.size(), report.get("non_zero_pairs").asLong());
        assertEquals(expected.values().stream().mapToDouble(Double::doubleValue).sum(),
                report.get("total_weight").asDouble(), 1e-12);

        SparkSession spark = SparkSession.builder().master("local[1]").appName("read").config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(output.resolve("cooccurrence.parquet").toString()).collectAsList();
            assertEquals(actual.size(), rows.size());
            for (Row row : rows) {
                assertEquals(actual.get(row.getInt(0) + "," + row.getInt(1)), row.getDouble(2), 0.0);
            }
        } finally {
            spark.stop();
        }
    }

    @Test
    void propertiesOnRealTextAndTheSameBytesWhateverThePartitioning() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv");
        Path one = dir.resolve("one");
        Path many = dir.resolve("many");
        assertEquals(0, cooccur(corpus, one, "--window", "10", "--partitions", "1").exitCode());
        // many input partitions and a tiny map-side table, so that partial sums are flushed thousands of times
        assertEquals(0, cooccur(corpus, many, "--window", "10", "--partitions", "5", "--map-side-pairs", "5000",
                "--shards", "3").exitCode());
        assertArrayEquals(Files.readAllBytes(one.resolve("cooccurrence.bin")),
                Files.readAllBytes(many.resolve("cooccurrence.bin")));
        assertArrayEquals(Files.readAllBytes(one.resolve("vocab.txt")), Files.readAllBytes(many.resolve("vocab.txt")));

        Map<String, Double> x = readBinary(one.resolve("cooccurrence.bin"), null);
        // symmetry, exactly: both directions get the same additions
        x.forEach((k, v) -> {
            String[] w = k.split(",");
            assertEquals(v, x.get(w[1] + "," + w[0]), 0.0, k);
        });
        // total weight = 2 * sum over lines of sum_j sum_{d=1..min(j,10)} 1/d, over each line's in-vocab words
        Map<String, Integer> vocab = new HashMap<>();
        for (String line : Files.readAllLines(one.resolve("vocab.txt"), StandardCharsets.ISO_8859_1)) {
            vocab.put(line.substring(0, line.lastIndexOf(' ')), vocab.size() + 1);
        }
        double expectedTotal = 0;
        try (var files = Files.list(corpus)) {
            for (Path file : files.sorted().toList()) {
                for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                    long n = java.util.Arrays.stream(line.split("[ \t]+")).filter(vocab::containsKey).count();
                    for (int j = 0; j < n; j++) {
                        for (int d = 1; d <= Math.min(j, 10); d++) {
                            expectedTotal += 2.0 / d;
                        }
                    }
                }
            }
        }
        double total = x.values().stream().mapToDouble(Double::doubleValue).sum();
        assertEquals(expectedTotal, total, expectedTotal * 1e-12);
        System.out.printf("KJV window 10: %d non-zeros, total weight %.6f (closed form %.6f)%n", x.size(), total,
                expectedTotal);
    }

    @Test
    void theDriversThreadsGiveSparksBytes() throws Exception {
        // the bundled KJV books plus a file of awkward input: "\r\n" and lone '\r' line ends, invalid UTF-8,
        // GloVe's <unk>, a NUL byte, tabs, a line without words and no newline at the end; and a gzipped copy
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        try (var books = Files.list(ProjectFiles.corpus().resolve("kjv"))) {
            for (Path book : books.sorted().toList()) {
                Files.copy(book, corpus.resolve(book.getFileName()));
            }
        }
        java.io.ByteArrayOutputStream awkward = new java.io.ByteArrayOutputStream();
        awkward.write("In the beginning\r\nGod created\rthe heaven\tand <unk> the earth\n \t \n".getBytes(
                StandardCharsets.UTF_8));
        awkward.write(new byte[] {'a', 'n', 'd', ' ', (byte) 0xC3, ' ', 'G', 'o', 'd', 0, 's', 'a', 'w', '\n'});
        awkward.write("and God saw the light, that it was good".getBytes(StandardCharsets.UTF_8));
        Files.write(corpus.resolve("awkward.txt"), awkward.toByteArray());
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(corpus.resolve("ruth.txt.gz")))) {
            gz.write(Files.readAllBytes(ProjectFiles.corpus().resolve("kjv").resolve("03-ruth.txt")));
        }
        String[] options = {"--window", "10", "--partitions", "3"};
        Path onSpark = dir.resolve("on-spark");
        assertEquals(0, cooccur(corpus, onSpark, options).exitCode());
        Path inDriver = dir.resolve("in-driver");
        Cli.Result driver = cooccurByDefault(corpus, inDriver, "local[2]", options);
        assertEquals(0, driver.exitCode(), driver.err());
        assertEquals("spark (local[2])", report(onSpark).get("counted_on").asText());
        assertEquals("driver (2 threads)", report(inDriver).get("counted_on").asText());
        assertTrue(report(inDriver).get("lines_with_invalid_utf8").asLong() > 0);
        assertTrue(report(inDriver).get("unk_tokens_skipped").asLong() > 0);
        assertSameOutputs(onSpark, inDriver);

        // one thread, many input splits, partial sums flushed thousands of times: the same matrix
        Path oneThread = dir.resolve("one-thread");
        assertEquals(0, cooccurByDefault(corpus, oneThread, "local", "--window", "10", "--partitions", "7",
                "--map-side-pairs", "5000", "--dense-cells", "0").exitCode());
        assertEquals("driver (1 thread)", report(oneThread).get("counted_on").asText());
        assertArrayEquals(Files.readAllBytes(onSpark.resolve("cooccurrence.bin")),
                Files.readAllBytes(oneThread.resolve("cooccurrence.bin")));
        assertArrayEquals(Files.readAllBytes(onSpark.resolve("vocab.txt")),
                Files.readAllBytes(oneThread.resolve("vocab.txt")));
    }

    @Test
    void aCorpusOverTheDriversLimitIsCountedOnSpark() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv"); // 1.2 MB
        Path output = dir.resolve("over");
        assertEquals(0, cooccurByDefault(corpus, output, "local[2]", "--in-driver-max-mb", "1", "--window", "5")
                .exitCode());
        assertEquals("spark (local[2])", report(output).get("counted_on").asText());
        Path under = dir.resolve("under");
        assertEquals(0, cooccurByDefault(corpus, under, "local[2]", "--in-driver-max-mb", "2", "--window", "5")
                .exitCode());
        assertEquals("driver (2 threads)", report(under).get("counted_on").asText());
        assertSameOutputs(output, under);
        Cli.Result negative = cooccurByDefault(corpus, dir.resolve("o"), "local[2]", "--in-driver-max-mb", "-1");
        assertEquals(2, negative.exitCode());
        assertTrue(negative.err().contains("--in-driver-max-mb"), negative.err());
    }

    @Test
    void badInputIsCountedAndOutputsAreSafe() throws Exception {
        Path corpus = dir.resolve("bad.txt");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.write("x y <unk> x y\n".getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {'x', ' ', (byte) 0xFF, ' ', 'y', '\n'});
        Files.write(corpus, bytes.toByteArray());
        Path output = dir.resolve("bad-out");
        assertEquals(0, cooccur(corpus, output, "--min-count", "1").exitCode());
        JsonNode report = new ObjectMapper().readTree(output.resolve("report.json").toFile());
        assertEquals(1, report.get("unk_tokens_skipped").asLong());
        assertEquals(1, report.get("lines_with_invalid_utf8").asLong());
        assertEquals(7, report.get("tokens").asLong());

        Cli.Result refused = cooccur(corpus, output, "--min-count", "1");
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("already exists; pass --overwrite"), refused.err());
        assertEquals(0, cooccur(corpus, output, "--min-count", "1", "--overwrite").exitCode());

        Cli.Result missing = cooccur(dir.resolve("nope"), dir.resolve("o"));
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("input path does not exist"), missing.err());
        Cli.Result wide = cooccur(corpus, dir.resolve("o"), "--window", "21");
        assertEquals(2, wide.exitCode());
        assertTrue(wide.err().contains("--window must be between 1 and 20"), wide.err());
    }

    @Test
    void wordPieceTokens() throws Exception {
        Path vocab = dir.resolve("vocab.txt");
        Files.write(vocab, List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "run", "##ning", "dog", "."));
        Path corpus = dir.resolve("wp.txt");
        Files.writeString(corpus, "The dog. The dog running.\n");
        Path output = dir.resolve("wp-out");
        assertEquals(0, cooccur(corpus, output, "--tokens", "wordpiece", "--vocab", vocab.toString(), "--min-count",
                "1").exitCode());
        // wordpieces: the dog . the dog run ##ning .  -> counts the 2, dog 2, . 2, run 1, ##ning 1
        assertEquals(". 2\ndog 2\nthe 2\n##ning 1\nrun 1\n", Files.readString(output.resolve("vocab.txt")));
        Path inDriver = dir.resolve("wp-driver");
        assertEquals(0, cooccurByDefault(corpus, inDriver, "local[2]", "--tokens", "wordpiece", "--vocab",
                vocab.toString(), "--min-count", "1").exitCode());
        assertEquals("driver (2 threads)", report(inDriver).get("counted_on").asText());
        assertSameOutputs(output, inDriver);
    }
}
