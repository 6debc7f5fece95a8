package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SettingsTest {
    @TempDir
    Path dir;

    @Test
    void optionNamesMapToConfigKeys() {
        assertEquals("vocab.min-count", Settings.key("sparkbert vocab", "--min-count"));
        assertEquals("bench.tokenize.warmup", Settings.key("sparkbert bench tokenize", "--warmup"));
        assertNull(Settings.key("sparkbert", "--help"));
    }

    @Test
    void bundledDefaultsComeFromConf() {
        // no sparkbert.conf.dir in tests: the copy of conf/ inside the jar (target/classes) is used
        Settings settings = Settings.load(null);
        assertEquals(30522, settings.config().getInt("vocab.size"));
        assertEquals("local[*]", settings.string("spark.master"));
    }

    @Test
    void commandLineBeatsConfigFileBeatsDefaults() throws Exception {
        Path userConfig = dir.resolve("my.conf");
        Files.writeString(userConfig, "vocab { size = 1234, min-count = 7 }\n");
        VocabCommand fromFile = parse(Settings.load(userConfig), "vocab", "--input", "x", "--output", "y");
        assertEquals(1234, fromFile.size);
        assertEquals(7, fromFile.minCount);
        assertEquals(8, fromFile.partitions, "untouched keys keep the conf/ default");

        VocabCommand fromCli = parse(Settings.load(userConfig), "vocab", "--input", "x", "--output", "y",
                "--size", "99");
        assertEquals(99, fromCli.size);
    }

    @Test
    void missingConfigFileIsAClearError() {
        Cli.Result result = Cli.run("vocab", "--config", dir.resolve("nope.conf").toString(), "--input", "x",
                "--output", "y");
        assertEquals(2, result.exitCode());
        assertTrue(result.err().contains("config file not found"), result.err());
    }

    private static VocabCommand parse(Settings settings, String... args) {
        CommandLine commandLine = new CommandLine(new SparkBert());
        commandLine.setDefaultValueProvider(settings);
        CommandLine.ParseResult parsed = commandLine.parseArgs(args);
        return (VocabCommand) parsed.subcommand().commandSpec().userObject();
    }
}
