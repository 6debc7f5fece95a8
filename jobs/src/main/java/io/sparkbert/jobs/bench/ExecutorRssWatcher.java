package io.sparkbert.jobs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Polls, every half second while started, the peak resident memory (VmHWM) of a cluster's executor JVMs, and
 * samples their current resident memory (VmRSS) every {@code sampleSeconds}, so that growth can be told from a
 * plateau; counts the executor directories under the cluster's work directory (one per executor ever started, so
 * more than one per worker means executors were lost and replaced).
 */
public final class ExecutorRssWatcher implements AutoCloseable {
    /** Resident MB of one executor {@code seconds} after the watcher started. */
    public record Sample(double seconds, long mb) {
    }

    private final Supplier<List<ProcessHandle>> executors;
    private final Path work;
    private final long sampleNanos;
    private final long started = System.nanoTime();
    private final Map<Long, Long> peakMb = new TreeMap<>();
    private final Map<Long, List<Sample>> series = new TreeMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts polling the processes {@code executors} lists; {@code work} is the workers' work directory. */
    public ExecutorRssWatcher(Supplier<List<ProcessHandle>> executors, Path work, double sampleSeconds) {
        this.executors = executors;
        this.work = work.toAbsolutePath();
        this.sampleNanos = (long) (sampleSeconds * 1e9);
        this.thread = new Thread(this::pollUntilClosed, "bench-executor-rss");
        thread.setDaemon(true);
        thread.start();
    }

    private void pollUntilClosed() {
        long nextSample = started;
        while (running) {
            long now = System.nanoTime();
            boolean sample = now - nextSample >= 0;
            for (ProcessHandle executor : executors.get()) {
                Path status = Path.of("/proc", Long.toString(executor.pid()), "status");
                long hwm = ChildRun.statusBytes(status, "VmHWM:") >> 20;
                long rss = sample ? ChildRun.statusBytes(status, "VmRSS:") >> 20 : 0;
                synchronized (peakMb) {
                    peakMb.merge(executor.pid(), hwm, Math::max);
                    if (sample && rss > 0) {
                        series.computeIfAbsent(executor.pid(), pid -> new ArrayList<>())
                                .add(new Sample((now - started) / 1e9, rss));
                    }
                }
            }
            if (sample) {
                nextSample = now + sampleNanos;
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

    /** The sampled resident MB per executor pid, in time order. */
    public Map<Long, List<Sample>> rssSeries() {
        synchronized (peakMb) {
            Map<Long, List<Sample>> copy = new TreeMap<>();
            series.forEach((pid, samples) -> copy.put(pid, List.copyOf(samples)));
            return copy;
        }
    }

    /**
     * Resident MB gained over the second half of an executor's samples (last sample minus the first sample at or
     * after half its time span): near 0 for a plateau, the leak's size for steady growth.
     */
    public static long secondHalfGrowthMb(List<Sample> samples) {
        if (samples.size() < 2) {
            return 0;
        }
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        double half = (first.seconds() + last.seconds()) / 2;
        Sample middle = samples.stream().filter(s -> s.seconds() >= half).findFirst().orElse(last);
        return last.mb() - middle.mb();
    }

    /** At most about 12 samples of a series, evenly spaced, always with the last: "0: 410, 60: 1950, ...". */
    public static String describe(List<ExecutorRssWatcher.Sample> samples) {
        int stride = Math.max(1, (samples.size() + 10) / 11);
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            if (i % stride == 0 || i == samples.size() - 1) {
                shown.add(String.format(Locale.ROOT, "%.0f: %d", samples.get(i).seconds(), samples.get(i).mb()));
            }
        }
        return shown.isEmpty() ? "-" : String.join(", ", shown);
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
