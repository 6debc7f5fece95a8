package io.sparkbert.jobs;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Drops the lines that start with a prefix from a stream. bin/sparkbert's stdout goes through one: DL4J M2.1's
 * SameDiff {@code println()}s "Added differentiated op ..." for every op each time a network builds its gradient
 * function (every pretraining round, on every worker): tens of thousands of lines that would bury the output.
 */
final class LineFilter extends OutputStream {
    private final PrintStream target;
    private final byte[] prefix;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineFilter(PrintStream target, String prefix) {
        this.target = target;
        this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
        line.write(b);
        if (b == '\n') {
            if (!startsWithPrefix()) {
                target.write(line.toByteArray(), 0, line.size());
            }
            line.reset();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    /** A partial line goes out now unless it may still become a filtered one. */
    @Override
    public synchronized void flush() {
        byte[] pending = line.toByteArray();
        if (pending.length > 0 && !Arrays.equals(pending, 0, Math.min(pending.length, prefix.length), prefix, 0,
                Math.min(pending.length, prefix.length))) {
            target.write(pending, 0, pending.length);
            line.reset();
        }
        target.flush();
    }

    private boolean startsWithPrefix() {
        byte[] bytes = line.toByteArray();
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}
