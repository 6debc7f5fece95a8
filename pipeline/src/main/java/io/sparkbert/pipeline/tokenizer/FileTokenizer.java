package io.sparkbert.pipeline.tokenizer;

import io.sparkbert.pipeline.text.Utf8Lines;
import io.sparkbert.pipeline.util.Progress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Tokenizes a text stream line by line into a stream of id lines (space-separated ids, no
 * [CLS]/[SEP]; an empty line stays empty), on N threads with the output in input order.
 * The reader and writer run on the calling thread; batches of lines are encoded in parallel.
 */
public final class FileTokenizer {
    private static final int BATCH_LINES = 2048;
    private static final int BATCH_CHARS = 1 << 20;

    /** Totals of one run. */
    public record Stats(long lines, long bytes, long wordPieces, long unknownPieces, long invalidUtf8Sequences,
                        double seconds) {
        public double wordPiecesPerSecond() {
            return seconds > 0 ? wordPieces / seconds : 0;
        }
    }

    private final BertTokenizer tokenizer;
    private final int threads;

    public FileTokenizer(BertTokenizer tokenizer, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be positive: " + threads);
        }
        this.tokenizer = tokenizer;
        this.threads = threads;
    }

    /** One encoded batch: the bytes to write and its counts. */
    private record Encoded(byte[] bytes, long wordPieces, long unknownPieces) {
    }

    /** Writes encoded batches in order and sums their counts. */
    private static final class Writer {
        private final OutputStream output;
        long wordPieces;
        long unknownPieces;

        Writer(OutputStream output) {
            this.output = output;
        }

        void write(Encoded encoded) throws IOException {
            output.write(encoded.bytes());
            wordPieces += encoded.wordPieces();
            unknownPieces += encoded.unknownPieces();
        }
    }

    public Stats run(InputStream input, OutputStream output, Progress progress) throws IOException {
        long start = System.nanoTime();
        long lines = 0;
        Writer writer = new Writer(output);
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, daemonThreads()) : null;
        ArrayDeque<Future<Encoded>> pending = new ArrayDeque<>();
        try (Utf8Lines reader = new Utf8Lines(input)) {
            while (true) {
                List<String> batch = new ArrayList<>(BATCH_LINES);
                int chars = 0;
                String line;
                while (batch.size() < BATCH_LINES && chars < BATCH_CHARS && (line = reader.next()) != null) {
                    batch.add(line);
                    chars += line.length();
                }
                if (batch.isEmpty()) {
                    break;
                }
                lines += batch.size();
                if (pool == null) {
                    writer.write(encode(batch));
                } else {
                    pending.add(pool.submit(() -> encode(batch)));
                    while (pending.size() > 2 * threads) {
                        writer.write(await(pending.poll()));
                    }
                }
                if (progress != null) {
                    progress.moveTo(reader.bytesRead());
                }
            }
            while (!pending.isEmpty()) {
                writer.write(await(pending.poll()));
            }
            output.flush();
            return new Stats(lines, reader.bytesRead(), writer.wordPieces, writer.unknownPieces,
                    reader.invalidSequences(),
                    (System.nanoTime() - start) / 1e9);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private Encoded encode(List<String> batch) {
        int unkId = tokenizer.vocab().unkId();
        IntList ids = new IntList(256);
        DigitWriter out = new DigitWriter(batch.size() * 32);
        long pieces = 0;
        long unknown = 0;
        for (String line : batch) {
            ids.clear();
            tokenizer.encode(line, ids);
            for (int i = 0; i < ids.size(); i++) {
                int id = ids.get(i);
                if (i > 0) {
                    out.write(' ');
                }
                out.writeInt(id);
                if (id == unkId) {
                    unknown++;
                }
            }
            out.write('\n');
            pieces += ids.size();
        }
        return new Encoded(out.toByteArray(), pieces, unknown);
    }

    private static Encoded await(Future<Encoded> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while tokenizing", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IllegalStateException("tokenizing a batch failed", e.getCause());
        }
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        return runnable -> {
            Thread thread = new Thread(runnable, "tokenize");
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Writes non-negative ints as ASCII digits without going through String. */
    private static final class DigitWriter extends ByteArrayOutputStream {
        private final byte[] digits = new byte[10];

        DigitWriter(int capacity) {
            super(capacity);
        }

        void writeInt(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("negative id " + value);
            }
            int n = 0;
            do {
                digits[n++] = (byte) ('0' + value % 10);
                value /= 10;
            } while (value > 0);
            while (n > 0) {
                write(digits[--n]);
            }
        }
    }
}
