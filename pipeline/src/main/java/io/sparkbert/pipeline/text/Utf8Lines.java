package io.sparkbert.pipeline.text;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a byte stream as lines of UTF-8 text, never failing on bad bytes (see
 * {@link LenientUtf8Decoder}). Lines end at '\n', "\r\n" or a lone '\r' (classic Mac text, whose
 * lines would otherwise run together into one); a final line without a line end is still a line.
 * Not thread-safe: one reader per stream.
 */
public final class Utf8Lines implements AutoCloseable {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private boolean eof;
    private byte[] line = new byte[1024];
    private final LenientUtf8Decoder decoder = new LenientUtf8Decoder();
    private long bytesRead;
    /** The last line ended at a '\r': a '\n' right after it belongs to that line end. */
    private boolean afterCr;

    public Utf8Lines(InputStream in) {
        this.in = in;
    }

    /** The next line without its '\n', or null at the end of the stream. */
    public String next() throws IOException {
        int length = 0;
        boolean any = false;
        while (true) {
            if (position == limit) {
                if (eof || !fill()) {
                    return any ? decode(length) : null;
                }
            }
            if (afterCr) {
                afterCr = false;
                if (buffer[position] == '\n') {
                    position++;
                    continue;
                }
            }
            any = true;
            int start = position;
            int newline = -1;
            for (int i = start; i < limit; i++) {
                if (buffer[i] == '\n' || buffer[i] == '\r') {
                    newline = i;
                    afterCr = buffer[i] == '\r';
                    break;
                }
            }
            int end = newline >= 0 ? newline : limit;
            int chunk = end - start;
            if (length + chunk > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, length + chunk));
            }
            System.arraycopy(buffer, start, line, length, chunk);
            length += chunk;
            if (newline >= 0) {
                position = newline + 1;
                return decode(length);
            }
            position = limit;
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            eof = true;
            return false;
        }
        position = 0;
        limit = n;
        bytesRead += n;
        return true;
    }

    private String decode(int length) {
        return decoder.decode(line, 0, length);
    }

    /** Bytes consumed from the stream so far. */
    public long bytesRead() {
        return bytesRead - (limit - position);
    }

    /** Invalid UTF-8 sequences replaced by U+FFFD so far. */
    public long invalidSequences() {
        return decoder.invalidSequences();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
