package io.sparkbert.jobs;

import io.sparkbert.pipeline.util.OutputLock;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;

/** The lock a command holds on its output while it runs, named after the command line that took it. */
final class OutputLocks {
    private static final ThreadLocal<String> COMMAND_LINE = ThreadLocal.withInitial(() -> "sparkbert");

    private OutputLocks() {
    }

    /** Remembers the command line being executed on this thread (SparkBert.execute). */
    static void commandLine(String[] args) {
        String line = "sparkbert " + String.join(" ", args);
        COMMAND_LINE.set(line.length() > 400 ? line.substring(0, 400) + "..." : line);
    }

    /** Locks {@code target} (a qualified path) or fails with a message naming the run that holds it. */
    static OutputLock acquire(String target) throws IOException {
        return OutputLock.acquire(target, COMMAND_LINE.get(), new Configuration());
    }
}
