package io.sparkbert.pipeline.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two runs on one output: the second refuses and names the first; a dead holder's lock is taken over. */
class OutputLockTest {
    private static final Configuration HADOOP = new Configuration();

    @TempDir
    Path dir;

    /** Run in a child JVM: takes the lock, says so, holds it until stdin has a line (or is killed). */
    public static void main(String[] args) throws Exception {
        try (OutputLock lock = OutputLock.acquire(args[0], "holder-process " + args[0], new Configuration())) {
            System.out.println("LOCKED " + lock.holder().pid());
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
        System.out.println("RELEASED");
    }

    /** A child JVM running {@link #main} on {@code output}, its stderr merged into its stdout. */
    private static Process startChild(String output) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), OutputLockTest.class.getName(), output)
                .redirectErrorStream(true).start();
    }

    private static Process startHolder(String output) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                OutputLockTest.class.getName(), output).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertTrue(line != null && line.equals("LOCKED " + process.pid()), "child said: " + line);
        return process;
    }

    /** Issue 16: the staging a killed run left beside an output is removed by the next run that locks it. */
    @Test
    void staleStagingOfTheLockedOutputIsRemovedAndNothingElse() throws Exception {
        Path out = dir.resolve("staging/out");
        Path staleDir = Files.createDirectories(dir.resolve("staging/.out.tmp-1234/part"));
        Path staleFile = Files.writeString(dir.resolve("staging/.out.tmp-5678"), "half");
        Path other = Files.writeString(dir.resolve("staging/.outer.tmp-1"), "another output's");
        try (OutputLock lock = OutputLock.acquire(out.toUri().toString(), "test", new Configuration())) {
            assertFalse(Files.exists(staleDir.getParent()));
            assertFalse(Files.exists(staleFile));
            assertTrue(Files.exists(other));
        }
    }

    @Test
    void aSecondProcessIsRefusedWithTheHolderNamedAndGetsTheLockAfterRelease() throws Exception {
        String output = dir.resolve("out").toUri().toString();
        Process holder = startHolder(output);
        try {
            OutputLock.LockedException refused = assertThrows(OutputLock.LockedException.class,
                    () -> OutputLock.acquire(output, "second", HADOOP));
            String message = refused.getMessage();
            assertTrue(message.contains("is locked by another run: 'holder-process " + output + "' (pid "
                    + holder.pid() + " on host "), message);
            assertTrue(message.contains(", started 20"), message);
            assertTrue(message.contains("released when that run ends"), message);
            assertEquals(holder.pid(), refused.holder().pid());
        } finally {
            try (OutputStream in = holder.getOutputStream()) {
                in.write('\n');
            }
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertFalse(Files.exists(dir.resolve(".out.lock")), "a released lock file is deleted");
        try (OutputLock lock = OutputLock.acquire(output, "third", HADOOP)) {
            assertNull(lock.tookOverFrom(), "a released lock is not a stale one");
        }
    }

    @Test
    void theSameJvmCannotTakeItTwiceEither() throws Exception {
        String output = dir.resolve("nested").resolve("vocab.txt").toString(); // parent created on demand
        try (OutputLock first = OutputLock.acquire(output, "first", HADOOP)) {
            OutputLock.LockedException refused = assertThrows(OutputLock.LockedException.class,
                    () -> OutputLock.acquire(output, "second", HADOOP));
            assertTrue(refused.getMessage().contains("'first' (pid " + ProcessHandle.current().pid()),
                    refused.getMessage());
        }
        try (OutputLock again = OutputLock.acquire(output, "again", HADOOP)) {
            assertEquals("again", again.holder().command());
        }
        assertFalse(Files.exists(dir.resolve("nested").resolve(".vocab.txt.lock")));
    }

    /** Issue 16: a lock file reached through a symbolic link is the same lock, and not opened twice. */
    @Test
    void throughASymbolicLinkToItsDirectoryItIsTheSameLock() throws Exception {
        Path real = Files.createDirectories(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        try (OutputLock first = OutputLock.acquire(real.resolve("out").toString(), "first", HADOOP)) {
            OutputLock.LockedException refused = assertThrows(OutputLock.LockedException.class,
                    () -> OutputLock.acquire(link.resolve("out").toString(), "second", HADOOP));
            assertTrue(refused.getMessage().contains("'first'"), refused.getMessage());
            // still held against another process: the refusal did not close a descriptor of the locked file
            Process other = startChild(real.resolve("out").toUri().toString());
            assertTrue(other.waitFor(60, TimeUnit.SECONDS));
            String said = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(said.contains("locked by another run: 'first'"), said);
        }
        assertFalse(Files.exists(real.resolve(".out.lock")));
    }

    /** Issue 16: the check that a lock file's name still leads to the file a channel has open. */
    @Test
    void theIdentityCheckTellsTheOpenFileFromAReplacement() throws Exception {
        Path file = dir.resolve(".x.lock");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            assertEquals(OutputLock.Identity.SAME, OutputLock.identity(file, channel));
            Files.delete(file);
            assertEquals(OutputLock.Identity.OTHER, OutputLock.identity(file, channel), "deleted");
            Files.writeString(file, "a new file under the same name");
            assertEquals(OutputLock.Identity.OTHER, OutputLock.identity(file, channel), "replaced");
        }
        try (FileChannel other = FileChannel.open(file, StandardOpenOption.READ)) {
            assertEquals(OutputLock.Identity.SAME, OutputLock.identity(file, other));
        }
    }

    /**
     * Issue 16, the race a deleting release must not lose, forced: this run opens the lock file, then its
     * holder releases (and deletes it) and a third run creates a new one and locks it, then this run locks
     * the file it opened. It must see that the name leads elsewhere now, and be refused by the third run
     * rather than hold a lock beside it.
     */
    @Test
    void aRunThatOpenedTheLockFileBeforeItsHolderDeletedItDoesNotHoldTheDeletedFile() throws Exception {
        String output = dir.resolve("raced").toUri().toString();
        Process first = startHolder(output);
        Process[] third = new Process[1];
        OutputLock.betweenOpenAndLock = () -> {
            OutputLock.betweenOpenAndLock = null;
            try {
                try (OutputStream in = first.getOutputStream()) {
                    in.write('\n');
                }
                assertTrue(first.waitFor(30, TimeUnit.SECONDS));
                assertFalse(Files.exists(dir.resolve(".raced.lock")), "released and deleted");
                third[0] = startHolder(output);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        try {
            OutputLock.LockedException refused = assertThrows(OutputLock.LockedException.class,
                    () -> OutputLock.acquire(output, "opened before the release", HADOOP).close());
            assertEquals(third[0].pid(), refused.holder().pid(), refused.getMessage());
        } finally {
            OutputLock.betweenOpenAndLock = null;
            if (third[0] != null) {
                try (OutputStream in = third[0].getOutputStream()) {
                    in.write('\n');
                }
                assertTrue(third[0].waitFor(30, TimeUnit.SECONDS));
            }
        }
        assertFalse(Files.exists(dir.resolve(".raced.lock")));
    }

    @Test
    void aKilledHoldersLockIsTakenOver() throws Exception {
        String output = dir.resolve("killed").toUri().toString();
        Process holder = startHolder(output);
        holder.destroyForcibly(); // SIGKILL: no chance to release or delete anything
        assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.readString(dir.resolve(".killed.lock")).contains("pid=" + holder.pid()), "lock file left");
        try (OutputLock lock = OutputLock.acquire(output, "after the crash", HADOOP)) {
            assertEquals(holder.pid(), lock.tookOverFrom().pid());
            // and it is really held again, against another process too
            Process third = startChild(output);
            assertTrue(third.waitFor(60, TimeUnit.SECONDS));
            String said = new String(third.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(said.contains("locked by another run: 'after the crash' (pid " + ProcessHandle.current().pid()),
                    said);
        }
        assertFalse(Files.exists(dir.resolve(".killed.lock")), "the run that took it over deleted it when done");
    }

    @Test
    void withoutOsLocksAStaleLockOfADeadPidOnThisHostIsTakenOverAndAnotherHostsIsNot() throws Exception {
        // the path for HDFS/S3-like filesystems, exercised on the local one
        FileSystem fs = FileSystem.getLocal(HADOOP).getRawFileSystem();
        String output = dir.resolve("remote").toUri().toString();
        org.apache.hadoop.fs.Path lockFile = OutputLock.lockFileOf(output);
        OutputLock.Holder me = OutputLock.Holder.current("create-based");

        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Files.write(Path.of(lockFile.toUri()), new OutputLock.Holder(me.host(), dead.pid(), "u", "old run",
                "2020-01-01T00:00:00Z", "x").toBytes());
        try (OutputLock lock = OutputLock.acquireByCreate(output, lockFile, fs, me)) {
            assertEquals("old run", lock.tookOverFrom().command());
            OutputLock.LockedException live = assertThrows(OutputLock.LockedException.class,
                    () -> OutputLock.acquireByCreate(output, lockFile, fs, OutputLock.Holder.current("second")));
            assertTrue(live.getMessage().contains("'create-based'"), live.getMessage());
        }
        assertFalse(Files.exists(Path.of(lockFile.toUri())), "released: its lock file is deleted");

        // a lock file that is no longer the one this lock created (deleted by hand, another run's now) stays
        try (OutputLock lock = OutputLock.acquireByCreate(output, lockFile, fs, me)) {
            Files.delete(Path.of(lockFile.toUri()));
            Files.write(Path.of(lockFile.toUri()), OutputLock.Holder.current("a later run").toBytes());
        }
        assertTrue(Files.readString(Path.of(lockFile.toUri())).contains("command=a later run"));
        Files.delete(Path.of(lockFile.toUri()));

        Files.write(Path.of(lockFile.toUri()), new OutputLock.Holder("some-other-host", dead.pid(), "u",
                "elsewhere", "2020-01-01T00:00:00Z", "y").toBytes());
        OutputLock.LockedException remote = assertThrows(OutputLock.LockedException.class,
                () -> OutputLock.acquireByCreate(output, lockFile, fs, me));
        assertTrue(remote.getMessage().contains("on host some-other-host"), remote.getMessage());
        assertTrue(remote.getMessage().contains("If that run is gone, delete the lock file " + lockFile),
                remote.getMessage());
        assertTrue(Files.exists(Path.of(lockFile.toUri())));
    }
}
