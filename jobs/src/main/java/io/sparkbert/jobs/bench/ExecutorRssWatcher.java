package io.sparkbert.jobs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Polls, every half second while started, the peak resident memory (VmHWM) of a cluster's executor JVMs, and
 * counts the executor directories under the cluster's work directory (one per executor ever started, so more
 * than one per worker means executors were lost and replaced).
 */
public final class ExecutorRssWatcher implements AutoCloseable {
    private final Supplier<List<ProcessHandle>> executors;
    private final Path work;
    private final Map<Long, Long> peakMb = new TreeMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts polling the processes {@code executors} lists; {@code work} is the workers' work directory. */
    public ExecutorRssWatcher(Supplier<List<ProcessHandle>> executors, Path work) {
        this.executors = executors;
        this.work = work.toAbsolutePath();
        this.thread = new Thread(this::pollUntilClosed, "bench-executor-rss");
        thread.setDaemon(true);
        thread.start();
    }

    private void pollUntilClosed() {
        while (running) {
            for (ProcessHandle executor : executors.get()) {
                long hwm = ChildRun.highWaterMark(Path.of("/proc", Long.toString(executor.pid()), "status")) >> 20;
                synchronized (peakMb) {
                    peakMb.merge(executor.pid(), hwm, Math::max);
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Peak resident MB per executor pid seen so far. */
    public Map<Long, Long> peakRssMb() {
        synchronized (peakMb) {
            return new TreeMap<>(peakMb);
        }
    }

    /** Executor directories of every application (app/executor-id under the work directory). */
    public int executorDirectories() throws IOException {
        if (!Files.isDirectory(work)) {
            return 0;
        }
        try (Stream<Path> dirs = Files.walk(work, 3)) {
            return (int) dirs.filter(p -> work.relativize(p).getNameCount() == 3 && Files.isDirectory(p)).count();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join();
    }
}
