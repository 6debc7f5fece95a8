package io.sparkbert.model.train;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says what happens to the run's executors, and gives up when there are none for too long.
 *
 * <p>A lost executor costs a pretraining run nothing but time: Spark reruns its tasks of the round on the
 * executors left (or on its replacement), and a rerun task computes the same numbers (its batches and dropout
 * masks are seeded by step and worker, {@link StepHook}). This listener logs each loss and arrival with the
 * count of executors left, so the slower rounds that follow have an explanation in the driver's log.
 *
 * <p>When a cluster has no executor at all (every worker gone, or none ever granted), Spark waits for one
 * forever. The watch cancels the round after {@code wait} without an executor, so the run ends with a clear
 * error instead of hanging; its checkpoints are untouched (they are written between rounds) and rerunning the
 * same command resumes from the latest. Local mode has no executors to lose and is not watched.
 */
final class ExecutorWatch extends SparkListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorWatch.class);

    private final SparkContext sc;
    private final Duration wait;
    private final ScheduledExecutorService timer;
    private long noneSince;         // System.nanoTime() when the executors were first seen gone, 0 while some run
    private volatile boolean gaveUp;
    private boolean hadExecutors;

    ExecutorWatch(SparkContext sc, Duration wait) {
        this.sc = sc;
        this.wait = wait;
        sc.addSparkListener(this);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sparkbert-executor-watch");
            t.setDaemon(true);
            return t;
        });
        if (!sc.isLocal()) {
            timer.scheduleWithFixedDelay(this::check, 0, 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded added) {
        LOG.info("executor {} on {} joined", added.executorId(), added.executorInfo().executorHost());
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        LOG.warn("executor {} lost ({}); Spark reruns its tasks on the executors left, which compute the same "
                + "numbers: the round takes longer, its result does not change", removed.executorId(),
                removed.reason());
    }

    /** Executors of the application (the status tracker lists the driver too). */
    private int executors() {
        return Math.max(0, sc.statusTracker().getExecutorInfos().length - 1);
    }

    private void check() {
        if (executors() > 0) {
            noneSince = 0;
            hadExecutors = true;
            return;
        }
        long now = System.nanoTime();
        if (noneSince == 0) {
            noneSince = now;
            if (hadExecutors) {
                LOG.warn("no executor left: waiting up to {} s for one (--executor-wait)", wait.toSeconds());
            } else {
                LOG.info("waiting up to {} s for the cluster's executors (--executor-wait)", wait.toSeconds());
            }
        } else if (!gaveUp && now - noneSince > wait.toNanos()) {
            gaveUp = true;
            LOG.error("no executor for {} s: cancelling the round", wait.toSeconds());
            sc.cancelAllJobs();
        }
    }

    /** Whether this watch cancelled the run's jobs for want of executors. */
    boolean gaveUp() {
        return gaveUp;
    }

    /** What the watch saw, for the error of a run it stopped. */
    String describe() {
        return "no Spark executor for " + wait.toSeconds() + " s (--executor-wait): the cluster lost every worker or "
                + "granted none";
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sc.removeSparkListener(this);
    }
}
