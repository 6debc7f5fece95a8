package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Undoing a failed start: only what a run that never checkpointed wrote goes, never an earlier run's files. */
class RunDirectoryTest {
    @TempDir
    Path dir;

    private static void writeStartFiles(Path run) throws Exception {
        Files.createDirectories(run);
        for (String name : new String[] {RunDirectory.RUN, RunDirectory.METRICS, RunDirectory.BASELINE,
                RunDirectory.CURVES}) {
            Files.writeString(run.resolve(name), "{}");
        }
    }

    @Test
    void aDirectoryTheFailedRunCreatedIsRemoved() throws Exception {
        RunDirectory run = new RunDirectory(dir.resolve("new"));
        RunDirectory.Before before = run.before();
        writeStartFiles(run.path());
        run.undoFailedStart(before);
        assertFalse(Files.exists(run.path()));
    }

    @Test
    void inADirectoryThatExistedOnlyTheRunsFilesGo() throws Exception {
        Path path = Files.createDirectories(dir.resolve("existing"));
        Files.writeString(path.resolve("notes.txt"), "the user's");
        RunDirectory run = new RunDirectory(path);
        RunDirectory.Before before = run.before();
        writeStartFiles(path);
        run.undoFailedStart(before);
        assertTrue(Files.exists(path.resolve("notes.txt")));
        assertFalse(Files.exists(path.resolve(RunDirectory.RUN)));
        assertFalse(Files.exists(path.resolve(RunDirectory.METRICS)));
    }

    @Test
    void anEarlierRunOrACheckpointIsKept() throws Exception {
        Path earlier = dir.resolve("earlier");
        writeStartFiles(earlier);
        RunDirectory recorded = new RunDirectory(earlier);
        recorded.undoFailedStart(recorded.before());
        assertTrue(Files.exists(earlier.resolve(RunDirectory.RUN)));

        RunDirectory fresh = new RunDirectory(dir.resolve("checkpointed"));
        RunDirectory.Before before = fresh.before();
        writeStartFiles(fresh.path());
        Path checkpoint = Files.createDirectories(fresh.checkpoints().resolve(RunDirectory.checkpointName(3)));
        Files.writeString(checkpoint.resolve(RunDirectory.STATE), "{}");
        Files.writeString(fresh.checkpoints().resolve(RunDirectory.LATEST), checkpoint.getFileName() + "\n");
        fresh.undoFailedStart(before);
        assertTrue(Files.exists(fresh.path().resolve(RunDirectory.RUN)));
    }
}
