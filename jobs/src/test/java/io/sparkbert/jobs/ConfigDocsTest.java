package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is rendered from conf/ and must be up to date; every key is documented. */
class ConfigDocsTest {
    private static final Path CONF = ProjectFiles.root().resolve("conf");

    @Test
    void theCommittedReferenceIsUpToDate() throws Exception {
        Path committed = ProjectFiles.root().resolve("docs").resolve("configuration.md");
        String expected = ConfigDocs.render(CONF);
        String actual = Files.isRegularFile(committed) ? Files.readString(committed, StandardCharsets.UTF_8) : "";
        assertEquals(expected, actual, "docs/configuration.md is out of date with conf/: regenerate it with "
                + "'bin/sparkbert config --docs --output docs/configuration.md' and commit it");
    }

    @Test
    void everyConfFileIsIncludedAndEveryKeyHasADefaultInTheReference() throws Exception {
        List<String> files = ConfigDocs.confFiles(CONF);
        List<String> includes = ConfigDocs.includes(CONF);
        for (String file : files) {
            assertTrue(file.equals(ConfigDocs.MAIN) || includes.contains(file),
                    "conf/" + file + " is not included by conf/sparkbert.conf, so its keys are never read");
        }
        String docs = ConfigDocs.render(CONF);
        Settings settings = Settings.load(null);
        for (Map.Entry<String, com.typesafe.config.ConfigValue> e : settings.config().entrySet()) {
            String key = ConfigUtil.joinPath(ConfigUtil.splitPath(e.getKey()));
            assertTrue(docs.contains("| `" + key + "` | `"), key + " is missing from the reference");
        }
    }

    @Test
    void configShowPrintsEffectiveValuesAndTheirOrigin() throws Exception {
        Cli.Result shown = Cli.run("config", "--show", "vocab");
        assertEquals(0, shown.exitCode(), shown.err());
        assertTrue(shown.out().contains("vocab.size = 30522  # vocab.conf:"), shown.out());

        Path mine = Files.createTempFile("sparkbert", ".conf");
        try {
            Files.writeString(mine, "vocab.size = 8000\n");
            Cli.Result overridden = Cli.run("config", "--show", "vocab", "--config", mine.toString());
            assertTrue(overridden.out().contains("vocab.size = 8000  # " + mine.getFileName() + ":1"),
                    overridden.out());
            assertTrue(overridden.out().contains("vocab.min-count = 2  # vocab.conf:"), overridden.out());
        } finally {
            Files.delete(mine);
        }
        Cli.Result unknown = Cli.run("config", "--show", "nonsense");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("no settings under 'nonsense'"), unknown.err());
    }
}
