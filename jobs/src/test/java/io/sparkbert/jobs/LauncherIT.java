package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/sparkbert as a user runs it: a separate JVM with the launcher's own flags and classpath. */
class LauncherIT {
    private static final Map<String, String> NO_BUILD = Map.of("SPARKBERT_NO_BUILD", "1");

    @TempDir
    Path dir;

    private static List<String> launcher(String... args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(ProjectFiles.root().resolve("bin").resolve("sparkbert").toString());
        command.addAll(List.of(args));
        return command;
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Processes.Result result = Processes.run(launcher("--help"), NO_BUILD, dir, 120);
        assertEquals(0, result.exitCode(), result.output());
        for (String command : List.of("tokenize", "vocab", "bench", "demo")) {
            assertTrue(result.output().contains("  " + command + " "), command + " missing:\n" + result.output());
        }
        Processes.Result vocabHelp = Processes.run(launcher("vocab", "--help"), NO_BUILD, dir, 120);
        assertTrue(vocabHelp.output().contains("Default: 30522"), "defaults come from conf/:\n" + vocabHelp.output());
    }

    @Test
    void theReadmeDemoRunsOnEmbeddedSpark() throws Exception {
        Path work = dir.resolve("demo");
        Processes.Result demo = Processes.run(launcher("demo", "--work", work.toString()), NO_BUILD, dir, 600);
        assertEquals(0, demo.exitCode(), demo.output());
        assertTrue(demo.output().contains("in the beginning god created the heaven and the earth ."), demo.output());
        List<String> tokens = Files.readAllLines(work.resolve("vocab.txt"));
        assertEquals(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), tokens.subList(0, 5));
        assertTrue(Files.exists(work.resolve("vocab.report.json")));

        // the sampler's ids, decoded: curly quotes never occur in the KJV, so they are [UNK] here
        String firstIds = Files.readAllLines(work.resolve("unicode-sampler.ids")).get(0);
        assertTrue(decode(firstIds, tokens).startsWith("[UNK] well , [UNK] she said"), decode(firstIds, tokens));

        // a second run replaces its own scratch outputs instead of refusing
        assertEquals(0, Processes.run(launcher("demo", "--work", work.toString()), NO_BUILD, dir, 600).exitCode());
    }

    private static String decode(String idLine, List<String> tokens) {
        return String.join(" ", java.util.Arrays.stream(idLine.split(" "))
                .map(id -> tokens.get(Integer.parseInt(id))).toList());
    }
}
