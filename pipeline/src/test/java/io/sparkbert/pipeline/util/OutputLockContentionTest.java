package io.sparkbert.pipeline.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: runs in several processes and threads take one output's lock over and over, as fast as they
 * can, while each release deletes the lock file: never are two inside at once, and no lock file is left.
 */
class OutputLockContentionTest {
    private static final int PROCESSES = 4;
    private static final int THREADS = 2;
    private static final int ROUNDS = 50;

    @TempDir
    Path dir;

    /**
     * A child JVM: {@code output marker counter rounds}. Says READY, waits for a line on stdin, takes the
     * lock {@code rounds} times and says {@code DONE <collisions> <take-overs>}.
     */
    public static void main(String[] args) throws Exception {
        Contender contender = new Contender(args[0], Path.of(args[1]), Path.of(args[2]), "process");
        contender.warmUp();
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        Seen seen = contender.run(Integer.parseInt(args[3]));
        System.out.println("DONE " + seen.collisions() + " " + seen.takeOvers());
    }

    /**
     * What a contender saw: another holder inside with it, and locks taken over as if their holder had
     * died (none has: a take-over here means a lock file was locked after its holder deleted it).
     */
    record Seen(int collisions, int takeOvers) {
        Seen plus(Seen other) {
            return new Seen(collisions + other.collisions, takeOvers + other.takeOvers);
        }
    }

    /** Takes the lock, proves it is alone inside, lets go; again. */
    static final class Contender {
        private final String output;
        private final Path marker;
        private final Path counter;
        private final String name;
        private final Configuration hadoop = new Configuration();

        Contender(String output, Path marker, Path counter, String name) {
            this.output = output;
            this.marker = marker;
            this.counter = counter;
            this.name = name + "-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId();
        }

        /** Loads what taking the lock needs, so the processes start contending together. */
        void warmUp() throws IOException {
            OutputLock.lockFileOf(output).getFileSystem(hadoop);
        }

        /** Takes the lock {@code rounds} times. */
        Seen run(int rounds) throws IOException, InterruptedException {
            int collisions = 0;
            int takeOvers = 0;
            Path next = counter.resolveSibling(counter.getFileName() + "." + name);
            for (int round = 0; round < rounds; ) {
                OutputLock lock;
                try {
                    lock = OutputLock.acquire(output, "contender " + name, hadoop);
                } catch (OutputLock.LockedException busy) {
                    Thread.onSpinWait(); // and again, at once: the more attempts, the more races
                    continue;
                }
                try (lock) {
                    if (lock.tookOverFrom() != null) {
                        takeOvers++;
                    }
                    boolean alone;
                    try {
                        Files.createFile(marker);
                        alone = true;
                    } catch (FileAlreadyExistsException another) {
                        alone = false;
                        collisions++;
                    }
                    long count = Long.parseLong(Files.readString(counter).trim());
                    Thread.sleep(1); // a while inside, for another holder to show up
                    Files.writeString(next, Long.toString(count + 1));
                    Files.move(next, counter, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    if (alone) {
                        Files.delete(marker);
                    }
                }
                round++;
            }
            return new Seen(collisions, takeOvers);
        }
    }

    @Test
    void processesAndThreadsTakingOneLockOverAndOverAreNeverInsideTogether() throws Exception {
        String output = dir.resolve("out").toUri().toString();
        Path marker = dir.resolve("inside");
        Path counter = Files.writeString(dir.resolve("count"), "0");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try {
            for (int i = 0; i < PROCESSES; i++) {
                Process process = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                        System.getProperty("java.class.path"), OutputLockContentionTest.class.getName(), output,
                        marker.toString(), counter.toString(), Integer.toString(ROUNDS))
                        .redirectError(dir.resolve("stderr-" + i).toFile()).start();
                processes.add(process);
            }
            List<BufferedReader> said = new ArrayList<>();
            for (Process process : processes) {
                BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine();
                while (line != null && !line.equals("READY")) { // its log lines
                    line = out.readLine();
                }
                assertEquals("READY", line, stderr(processes.indexOf(process)));
                said.add(out);
            }
            long start = System.nanoTime();
            for (Process process : processes) {
                OutputStream in = process.getOutputStream();
                in.write('\n');
                in.flush();
            }
            List<Future<Seen>> inThisJvm = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                inThisJvm.add(threads.submit(
                        () -> new Contender(output, marker, counter, "thread").run(ROUNDS)));
            }
            Seen seen = new Seen(0, 0);
            for (Future<Seen> thread : inThisJvm) {
                seen = seen.plus(thread.get(120, TimeUnit.SECONDS));
            }
            for (int i = 0; i < PROCESSES; i++) {
                String done = said.get(i).readLine();
                while (done != null && !done.startsWith("DONE ")) { // its log lines
                    done = said.get(i).readLine();
                }
                assertTrue(done != null, "child " + i + " ended without saying DONE" + stderr(i));
                String[] counts = done.split(" ");
                seen = seen.plus(new Seen(Integer.parseInt(counts[1]), Integer.parseInt(counts[2])));
                assertTrue(processes.get(i).waitFor(60, TimeUnit.SECONDS));
            }
            long counted = Long.parseLong(Files.readString(counter).trim());
            System.out.printf("%d rounds in %d processes and %d threads: %.1f s, %s, %d counted%n",
                    (PROCESSES + THREADS) * ROUNDS, PROCESSES, THREADS, (System.nanoTime() - start) / 1e9, seen,
                    counted);
            assertEquals(0, seen.collisions(), "times a holder found another inside");
            assertEquals(0, seen.takeOvers(), "locks of live runs taken over");
            assertEquals((PROCESSES + THREADS) * ROUNDS, counted, "every round counted once");
            assertFalse(Files.exists(marker));
            assertFalse(Files.exists(dir.resolve(".out.lock")), "the last release deleted the lock file");
        } finally {
            threads.shutdownNow();
            for (Process process : processes) {
                process.destroyForcibly();
            }
        }
    }

    private String stderr(int child) {
        try {
            return "\n" + Files.readString(dir.resolve("stderr-" + child));
        } catch (IOException e) {
            return "";
        }
    }
}
