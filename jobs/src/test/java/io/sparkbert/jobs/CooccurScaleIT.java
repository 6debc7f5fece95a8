package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cooccur at a scale that does not fit: a vocabulary of 500,000 words and a pair table of about ten
 * million distinct pairs (hundreds of MB as a table), on a standalone cluster whose executors have
 * 512 MB of memory, written as a single output range that may hold 16 MB of encoded partial sums at a
 * time. It must finish, exactly, by combining in bounded memory and spilling sorted runs to disk.
 */
class CooccurScaleIT {
    private static final int WORDS = 500_000;
    private static final int OCCURRENCES = 5;
    private static final int LINE = 20;
    private static final int WINDOW = 2;

    @TempDir
    Path dir;

    @Test
    void halfAMillionWordsAndAPairTableLargerThanTheExecutorsMemory() throws Exception {
        // every word exactly 5 times, in random order, 20 words a line
        int[] tokens = new int[WORDS * OCCURRENCES];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i % WORDS;
        }
        Random random = new Random(2026);
        for (int i = tokens.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = tokens[i];
            tokens[i] = tokens[j];
            tokens[j] = t;
        }
        Path corpus = dir.resolve("corpus.txt");
        try (BufferedWriter out = Files.newBufferedWriter(corpus)) {
            for (int i = 0; i < tokens.length; i++) {
                out.write("w" + tokens[i]);
                out.write((i + 1) % LINE == 0 ? '\n' : ' ');
            }
        }
        // closed form: each full line of 20 in-vocabulary words adds 2 * sum_j sum_{d<=min(j,2)} 1/d
        double perLine = 0;
        for (int j = 0; j < LINE; j++) {
            for (int d = 1; d <= Math.min(j, WINDOW); d++) {
                perLine += 2.0 / d;
            }
        }
        double expectedTotal = perLine * (tokens.length / LINE);

        try (StandaloneCluster cluster = new StandaloneCluster(dir, 2, "1200m")) {
            Path output = dir.resolve("cooc");
            Processes.Result result = Processes.run(List.of(
                    ProjectFiles.root().resolve("bin").resolve("sparkbert").toString(), "cooccur",
                    "--master", cluster.masterUrl(),
                    "--spark-conf", "spark.executor.memory=512m", "--spark-conf", "spark.executor.cores=1",
                    "--input", corpus.toString(), "--output", output.toString(), "--window", Integer.toString(WINDOW),
                    // one output range: the whole pair table goes through one 512 MB executor, which holds
                    // 16 MB of it in memory and merges the rest into sorted runs on disk
                    "--partitions", "8", "--map-side-pairs", "500000", "--shards", "1",
                    "--reduce-bytes", Integer.toString(16 << 20)),
                    cluster.environment(), dir, 1200);
            assertEquals(0, result.exitCode(), result.output() + "\n" + cluster.logs());

            JsonNode report = new ObjectMapper().readTree(output.resolve("report.json").toFile());
            assertEquals(WORDS, report.get("vocab_size").asLong());
            assertEquals(tokens.length, report.get("tokens").asLong());
            assertEquals(expectedTotal, report.get("total_weight").asDouble(), expectedTotal * 1e-12);
            long nonZeros = report.get("non_zero_pairs").asLong();
            assertTrue(nonZeros > 9_000_000, "non-zeros " + nonZeros);
            assertEquals(nonZeros * 16, Files.size(output.resolve("cooccurrence.bin")));
            assertEquals(WORDS, Files.readAllLines(output.resolve("vocab.txt")).size());
            String logs = cluster.logs();
            assertTrue(logs.contains("into a sorted run on disk"),
                    "executors with 512 MB had to spill to disk:\n" + logs.lines().filter(l -> l.contains("pill"))
                            .limit(5).toList());
            System.out.printf("500K words: %d non-zero pairs, total weight %.1f (closed form %.1f), %d sorted runs "
                    + "spilled%n", nonZeros, report.get("total_weight").asDouble(), expectedTotal,
                    logs.lines().filter(l -> l.contains("into a sorted run on disk")).count());
        }
    }
}
