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
    void learnsAVocabularyOnEmbeddedSparkAndTokenizesWithIt() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv");
        Path vocab = dir.resolve("vocab.txt");
        Processes.Result learned = Processes.run(launcher("vocab", "--input", corpus.toString(), "--output",
                vocab.toString(), "--size", "3000"), NO_BUILD, dir, 300);
        assertEquals(0, learned.exitCode(), learned.output());
        assertEquals(3000, Files.readAllLines(vocab).size());

        Path input = dir.resolve("in.txt");
        Files.writeString(input, "In the beginning\n\nGod created\n");
        Path ids = dir.resolve("out.ids");
        Processes.Result tokenized = Processes.run(launcher("tokenize", "--vocab", vocab.toString(), "--input",
                input.toString(), "--output", ids.toString()), NO_BUILD, dir, 120);
        assertEquals(0, tokenized.exitCode(), tokenized.output());
        List<String> lines = Files.readAllLines(ids);
        assertEquals(3, lines.size());
        assertEquals("", lines.get(1));
        List<String> tokens = Files.readAllLines(vocab);
        assertEquals("in the beginning", decode(lines.get(0), tokens));
        assertEquals("god created", decode(lines.get(2), tokens));
    }

    private static String decode(String idLine, List<String> tokens) {
        return String.join(" ", java.util.Arrays.stream(idLine.split(" "))
                .map(id -> tokens.get(Integer.parseInt(id))).toList());
    }
}
