package io.sparkbert.pipeline.util;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Progress of long work, logged at most every few seconds: amount done, rate, and an ETA when the
 * total is known. Thread-safe; {@link #advance} is cheap enough to call per record.
 */
public final class Progress {
    private final Logger log;
    private final String what;
    private final String unit;
    private final long total;
    private final long intervalNanos;
    private final long startNanos;
    private long done;
    private long nextReportNanos;

    /** @param total the amount expected in {@code unit}s, or a value <= 0 when unknown */
    public Progress(Logger log, String what, String unit, long total, long intervalSeconds) {
        this.log = log;
        this.what = what;
        this.unit = unit;
        this.total = total;
        this.intervalNanos = TimeUnit.SECONDS.toNanos(intervalSeconds);
        this.startNanos = System.nanoTime();
        this.nextReportNanos = startNanos + intervalNanos;
    }

    public synchronized void advance(long amount) {
        done += amount;
        long now = System.nanoTime();
        if (now >= nextReportNanos) {
            nextReportNanos = now + intervalNanos;
            log.info(line(now));
        }
    }

    /** Sets the amount done (for sources that report a position rather than increments). */
    public synchronized void moveTo(long position) {
        advance(position - done);
    }

    private String line(long now) {
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        double rate = done / seconds;
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%s: %,d %s, %s %s/s",
                what, done, unit, human(rate), unit));
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            text.append(String.format(Locale.ROOT, ", %.1f%%", 100 * fraction));
            if (rate > 0 && done < total) {
                text.append(", ETA ").append(duration((long) ((total - done) / rate)));
            }
        }
        return text.toString();
    }

    public synchronized double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static String human(double value) {
        if (value >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", value / 1e6);
        }
        if (value >= 1e4) {
            return String.format(Locale.ROOT, "%.1fK", value / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f", value);
    }

    public static String duration(long seconds) {
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
        }
        if (seconds >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return seconds + "s";
    }
}
