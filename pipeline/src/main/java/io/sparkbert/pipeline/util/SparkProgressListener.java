package io.sparkbert.pipeline.util;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Console progress of Spark jobs: for each running stage, tasks done out of total, records/s and an
 * ETA, logged at most every few seconds; one line when a stage completes. The Spark UI stays the
 * place for detail; this is for the person watching a terminal or a scheduler's log.
 */
public final class SparkProgressListener extends SparkListener {
    private static final Logger LOG = LoggerFactory.getLogger("io.sparkbert.progress");

    private final long intervalNanos;
    private final Map<Integer, Stage> stages = new ConcurrentHashMap<>();
    private volatile long nextReport;

    private static final class Stage {
        final String name;
        final int tasks;
        final long start = System.nanoTime();
        int done;
        long records;

        Stage(String name, int tasks) {
            this.name = name;
            this.tasks = tasks;
        }
    }

    public SparkProgressListener(long intervalSeconds) {
        this.intervalNanos = TimeUnit.SECONDS.toNanos(intervalSeconds);
        this.nextReport = System.nanoTime() + intervalNanos;
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted event) {
        var info = event.stageInfo();
        stages.put(info.stageId(), new Stage(shortName(info.name()), info.numTasks()));
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        Stage stage = stages.get(event.stageId());
        if (stage == null || event.taskInfo() == null || !event.taskInfo().successful()) {
            return;
        }
        TaskMetrics metrics = event.taskMetrics();
        synchronized (stage) {
            stage.done++;
            if (metrics != null) {
                stage.records += metrics.inputMetrics().recordsRead() + metrics.shuffleReadMetrics().recordsRead();
            }
        }
        long now = System.nanoTime();
        if (now >= nextReport) {
            nextReport = now + intervalNanos;
            stages.values().forEach(s -> LOG.info(line(s, now)));
        }
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted event) {
        Stage stage = stages.remove(event.stageInfo().stageId());
        long now = System.nanoTime();
        if (stage != null && now - stage.start > TimeUnit.SECONDS.toNanos(1)) {
            LOG.info(String.format(Locale.ROOT, "%s (stage %d done in %.1f s)", line(stage, now),
                    event.stageInfo().stageId(), (now - stage.start) / 1e9));
        }
    }

    private static String line(Stage stage, long now) {
        synchronized (stage) {
            double seconds = Math.max(1e-9, (now - stage.start) / 1e9);
            String text = String.format(Locale.ROOT, "%s: %d/%d tasks, %,.0f records/s", stage.name, stage.done,
                    stage.tasks, stage.records / seconds);
            if (stage.done > 0 && stage.done < stage.tasks) {
                long eta = (long) (seconds / stage.done * (stage.tasks - stage.done));
                text += ", ETA " + Progress.duration(eta);
            }
            return text;
        }
    }

    private static String shortName(String name) {
        int space = name.indexOf(" at ");
        return space > 0 ? name.substring(0, space) : name;
    }
}
