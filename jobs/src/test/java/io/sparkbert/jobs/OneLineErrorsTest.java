package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, "stack traces instead of one line", "misspelt keys in a --config file" and "accepted silently": each case
 * exits 2 with one line that says what to fix, before any work.
 */
class OneLineErrorsTest {
    @TempDir
    Path dir;

    private static void assertOneLine(Cli.Result result, String expected) {
        assertEquals(2, result.exitCode(), result.err());
        assertTrue(result.err().contains(expected), "expected '" + expected + "' in: " + result.err());
        assertEquals(1, result.err().strip().lines().count(), result.err());
    }

    private Path corpus() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "in the beginning god created the heaven and the earth.\n");
        return corpus;
    }

    @Test
    void configSyntaxErrorIsOneLine() throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "preprocess {\n  max-seq-length = 64\n  dupe-factor = [\n");
        assertOneLine(Cli.run("config", "--show", "preprocess", "--config", conf.toString()),
                "config file " + conf + ":");
    }

    @Test
    void misspeltConfigKeysAreRejectedWithTheNearestValidKey() throws Exception {
        Path conf = dir.resolve("typo.conf");
        Files.writeString(conf, "preprocess {\n  max-seq-length = 64\n  dupe-facter = 3\n}\n"
                + "spark.conf { \"spark.any.property\" = \"x\" }\n");
        assertOneLine(Cli.run("config", "--show", "preprocess", "--config", conf.toString()),
                "typo.conf:3: unknown key 'preprocess.dupe-facter'; did you mean 'preprocess.dupe-factor'?");
        // valid keys, option keys without a default and any Spark property pass
        Path good = dir.resolve("good.conf");
        Files.writeString(good, "preprocess { max-seq-length = 64, input = \"x\" }\n"
                + "spark.conf { \"spark.any.property\" = \"x\" }\n");
        Cli.Result ok = Cli.run("config", "--show", "preprocess", "--config", good.toString());
        assertEquals(0, ok.exitCode(), ok.err());
    }

    @Test
    void badMasterAndSparkConfAreOneLine() throws Exception {
        Path corpus = corpus();
        assertOneLine(Cli.run("vocab", "--input", corpus.toString(), "--output", dir.resolve("v1.txt").toString(),
                "--master", "bogus://x"), "cannot start Spark with master bogus://x: Could not parse Master URL");
        assertOneLine(Cli.run("vocab", "--input", corpus.toString(), "--output", dir.resolve("v2.txt").toString(),
                "--master", "local[1]", "--spark-conf", "spark.executor.memory=lots"), "cannot start Spark with master "
                + "local[1] and --spark-conf {spark.executor.memory=lots}");
    }

    @Test
    void outOfRangeOptionsAreRefused() throws Exception {
        Path corpus = corpus();
        String in = corpus.toString();
        String out = dir.resolve("out").toString();
        List<Object[]> cases = List.of(
                new Object[] {new String[] {"preprocess", "--input", in, "--vocab", in, "--output", out,
                    "--partitions", "-5"}, "--partitions must be at least 0 (0 = Spark's default): -5"},
                new Object[] {new String[] {"preprocess", "--input", in, "--vocab", in, "--output", out,
                    "--shards", "-1"}, "--shards must be at least 0"},
                new Object[] {new String[] {"cooccur", "--input", in, "--output", out, "--shards", "-1"},
                    "--shards must be at least 0"},
                new Object[] {new String[] {"cooccur", "--input", in, "--output", out, "--min-count", "-1"},
                    "--min-count must be at least 1: -1"},
                new Object[] {new String[] {"pretrain", "--data", in, "--output", out, "--workers", "-1"},
                    "--workers must be at least 0"},
                new Object[] {new String[] {"tokenize", "--vocab", in, "--input", in, "--output", out,
                    "--threads", "-1"}, "--threads must be at least 0"},
                new Object[] {new String[] {"init", "--preset", "tiny", "--vocab", in, "--output", out,
                    "--max-seq-length", "3"}, "--max-seq-length must be at least 5"},
                new Object[] {new String[] {"fill-mask", "--checkpoint", out, "--top-k", "0", "a [MASK]"},
                    "--top-k must be at least 1: 0"});
        for (Object[] c : cases) {
            assertOneLine(Cli.run((String[]) c[0]), (String) c[1]);
        }
    }

    @Test
    void tokenizeRefusesADirectoryAndItsOwnInputAsOutput() throws Exception {
        Path corpus = corpus();
        byte[] before = Files.readAllBytes(corpus);
        assertOneLine(Cli.run("tokenize", "--vocab", corpus.toString(), "--input", dir.toString(), "--output",
                dir.resolve("ids").toString()), "is a directory; tokenize reads one file");
        assertOneLine(Cli.run("tokenize", "--vocab", corpus.toString(), "--input", corpus.toString(), "--output",
                corpus.toString(), "--overwrite"), "is the input file");
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(corpus)));
    }
}
