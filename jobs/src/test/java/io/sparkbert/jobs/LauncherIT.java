package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/sparkbert as a user runs it: a separate JVM with the launcher's own flags and classpath (the demo: DemoIT). */
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
        for (String command : List.of("tokenize", "vocab", "pretrain", "export", "bench", "demo")) {
            assertTrue(result.output().contains("  " + command + " "), command + " missing:\n" + result.output());
        }
        Processes.Result vocabHelp = Processes.run(launcher("vocab", "--help"), NO_BUILD, dir, 120);
        assertTrue(vocabHelp.output().contains("Default: 30522"), "defaults come from conf/:\n" + vocabHelp.output());
    }
}
