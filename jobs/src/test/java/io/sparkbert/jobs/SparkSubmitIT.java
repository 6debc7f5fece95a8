package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded application jar under spark-submit, on a classpath that holds Spark and nothing of
 * ours (target/spark-classpath.txt): the jar must bring everything else, including conf/.
 */
class SparkSubmitIT {
    @TempDir
    Path dir;

    @Test
    void vocabThroughSparkSubmitEqualsTheEmbeddedRun() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv");
        Path submitted = dir.resolve("submitted").resolve("vocab.txt");

        List<String> command = SparkSubmit.command(List.of("--master", "local[2]", "--conf",
                "spark.driver.host=127.0.0.1"), List.of("vocab", "--input", corpus.toString(), "--output",
                submitted.toString(), "--size", "3000"));
        Processes.Result result = Processes.run(command, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), dir, 300);
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(Files.exists(submitted.resolveSibling("vocab.report.json")));

        Path embedded = dir.resolve("embedded").resolve("vocab.txt");
        assertEquals(0, Cli.run("vocab", "--input", corpus.toString(), "--output", embedded.toString(),
                "--size", "3000", "--master", "local[2]").exitCode());
        assertArrayEquals(Files.readAllBytes(embedded), Files.readAllBytes(submitted));
    }
}
