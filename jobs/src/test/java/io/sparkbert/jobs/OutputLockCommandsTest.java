package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.util.OutputLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that writes an output refuses, before any work, while another run holds that output,
 * and names the holder. (Two processes and a killed holder: OutputLockTest in the pipeline module.)
 */
class OutputLockCommandsTest {
    @TempDir
    Path dir;

    @Test
    void aLockedOutputIsRefusedWithTheHolderNamed() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv").resolve("03-ruth.txt");
        Path vocab = dir.resolve("vocab.txt");
        Path samples = dir.resolve("samples");
        Path cooc = dir.resolve("cooc");
        Path vectors = dir.resolve("vectors.txt");
        List<List<String>> commands = List.of(
                List.of("vocab", "--input", corpus.toString(), "--output", vocab.toString()),
                List.of("preprocess", "--input", corpus.toString(), "--vocab", vocab.toString(), "--output",
                        samples.toString(), "--incremental"),
                List.of("cooccur", "--input", corpus.toString(), "--output", cooc.toString()),
                List.of("glove", "--cooccur", cooc.toString(), "--output", vectors.toString()));
        for (List<String> command : commands) {
            Path output = Path.of(command.get(command.indexOf("--output") + 1));
            try (OutputLock holder = OutputLock.acquire(output.toUri().toString(), "sparkbert nightly-job",
                    new Configuration())) {
                Cli.Result refused = Cli.run(command.toArray(String[]::new));
                assertEquals(2, refused.exitCode(), refused.err());
                assertTrue(refused.err().contains("sparkbert " + command.get(0) + ": output " + output.toUri()
                        + " is locked by another run: 'sparkbert nightly-job' (pid " + ProcessHandle.current().pid()
                        + " on host "), refused.err());
            }
            assertFalse(Files.exists(output), "nothing written: " + output);
            assertEquals(List.of(), lockFiles(), "the holder's release deleted its lock file");
        }
    }

    /**
     * Issue 16: runs that finish, or fail after taking the lock, leave no {@code .NAME.lock} behind. (Every
     * command releases through OutputLock.close; preprocess and pretrain are left out here for time, pretrain's
     * is checked in PretrainCommandTest.)
     */
    @Test
    void finishedCommandsLeaveNoLockFile() throws Exception {
        Path corpus = ProjectFiles.corpus().resolve("kjv").resolve("03-ruth.txt");
        Path vocab = dir.resolve("vocab.txt");
        Path cooc = dir.resolve("cooc");
        List<List<String>> commands = List.of(
                List.of("vocab", "--input", corpus.toString(), "--output", vocab.toString(), "--size", "300"),
                List.of("cooccur", "--input", corpus.toString(), "--output", cooc.toString()),
                List.of("glove", "--cooccur", cooc.toString(), "--output", dir.resolve("vectors.txt").toString(),
                        "--dim", "5", "--iterations", "2"));
        for (List<String> command : commands) {
            List<String> local = new ArrayList<>(command);
            local.addAll(List.of("--master", "local[2]"));
            Cli.Result done = Cli.run(local.toArray(String[]::new));
            assertEquals(0, done.exitCode(), done.err());
            assertEquals(List.of(), lockFiles(), "after " + command.get(0));
        }
        // refused after taking the lock: the output exists and there is no --overwrite
        Cli.Result refused = Cli.run("vocab", "--input", corpus.toString(), "--output", vocab.toString(), "--size",
                "300", "--master", "local[2]");
        assertEquals(2, refused.exitCode(), refused.err());
        assertTrue(refused.err().contains("exists"), refused.err());
        assertEquals(List.of(), lockFiles(), "after a refused vocab");
    }

    /** The lock files ({@code .NAME.lock}) in the test's directory. */
    private List<String> lockFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".") && n.endsWith(".lock"))
                    .sorted().toList();
        }
    }
}
