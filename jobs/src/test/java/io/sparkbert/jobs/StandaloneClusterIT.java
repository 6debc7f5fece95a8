package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/sparkbert --master spark://… against a real Spark standalone master and worker. The executor
 * gets our classes only from the shaded jar the launcher ships, and must give the same vocabulary
 * as embedded Spark.
 */
class StandaloneClusterIT {
    @TempDir
    Path dir;

    @Test
    void vocabOnAStandaloneClusterEqualsTheEmbeddedRun() throws Exception {
        try (StandaloneCluster cluster = new StandaloneCluster(dir, 1, "1g")) {
            Path corpus = ProjectFiles.corpus().resolve("kjv");
            Path onCluster = dir.resolve("cluster").resolve("vocab.txt");
            Processes.Result result = Processes.run(List.of(
                    ProjectFiles.root().resolve("bin").resolve("sparkbert").toString(), "vocab",
                    "--master", cluster.masterUrl(), "--spark-conf", "spark.executor.memory=768m",
                    "--input", corpus.toString(), "--output", onCluster.toString(), "--size", "3000"),
                    cluster.environment(), dir, 300);
            assertEquals(0, result.exitCode(), result.output() + "\n" + cluster.logs());

            Path embedded = dir.resolve("embedded").resolve("vocab.txt");
            assertEquals(0, Cli.run("vocab", "--input", corpus.toString(), "--output", embedded.toString(),
                    "--size", "3000", "--master", "local[2]").exitCode());
            assertArrayEquals(Files.readAllBytes(embedded), Files.readAllBytes(onCluster));
        }
    }
}
