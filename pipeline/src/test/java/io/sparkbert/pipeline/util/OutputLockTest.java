package io.sparkbert.pipeline.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertEquals(0, Files.size(dir.resolve(".out.lock")), "a released lock file is empty");
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
            Process third = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), OutputLockTest.class.getName(), output)
                    .redirectErrorStream(true).start();
            assertTrue(third.waitFor(60, TimeUnit.SECONDS));
            String said = new String(third.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(said.contains("locked by another run: 'after the crash' (pid " + ProcessHandle.current().pid()),
                    said);
        }
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
        assertFalse(Files.exists(Path.of(lockFile.toUri())));

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
