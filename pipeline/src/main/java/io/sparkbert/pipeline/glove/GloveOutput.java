package io.sparkbert.pipeline.glove;

import io.sparkbert.pipeline.util.AtomicOutput;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * GloVe's files: the vocabulary it reads and the vectors it writes, byte for byte as glove.c.
 *
 * <ul>
 *   <li>vocab.txt (input): one "word count" line per word, UTF-8; the word on line n has id n.</li>
 *   <li>Text vectors ({@link #writeText}): per word, in vocabulary order, the word and the d components
 *       of w + w~ (glove.c's {@code -model 2}), separated by single spaces, each printed as C's
 *       {@code %lf}: fixed point with 6 decimals, correctly rounded from the double's exact value, a
 *       minus sign on negative values even when they round to zero ("-0.000000"). Unlike glove.c
 *       (whose {@code -use-unk-vec} default appends an {@code <unk>} line averaging the 100 rarest
 *       words) no extra line is written: one line per vocabulary word, nothing else.</li>
 *   <li>Binary parameters ({@link #writeBinary}): glove.c's {@code save_params} with {@code -binary 1/2},
 *       the array W dumped as is: 2V·(d+1) doubles, little-endian (the byte order of the x86/ARM
 *       machines glove.c runs on). First V rows for the words, row i−1 = w_i[0..d−1] then b_i; then V
 *       rows for the contexts, row V+j−1 = w~_j[0..d−1] then b~_j. Size: 16·V·(d+1) bytes, no header.</li>
 * </ul>
 * Both are written atomically (temporary file, then rename) and never replace an existing file unless
 * asked to.
 */
public final class GloveOutput {
    private GloveOutput() {
    }

    /** The words of a GloVe vocab.txt, in id order (index 0 holds id 1). */
    public static List<String> readVocab(String path, Configuration hadoop) throws IOException {
        Path file = new Path(path);
        FileSystem fs = file.getFileSystem(hadoop);
        if (!fs.exists(file)) {
            throw new IllegalArgumentException("vocabulary not found: " + path);
        }
        try (InputStream in = fs.open(file)) {
            return readVocab(in, path);
        }
    }

    /** The words of a GloVe vocab.txt read from {@code in} ({@code name} is for messages). */
    public static List<String> readVocab(InputStream in, String name) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        List<String> words = new ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length != 2 || fields[0].isEmpty()) {
                throw new IllegalArgumentException(name + " line " + (words.size() + 1)
                        + ": expected GloVe's \"word count\", got \"" + abbreviate(line) + "\"");
            }
            words.add(fields[0]);
        }
        if (words.isEmpty()) {
            throw new IllegalArgumentException("empty vocabulary: " + name);
        }
        return words;
    }

    /** Writes the text vectors (w + w~ per vocabulary word). */
    public static void writeText(String target, List<String> vocab, GloveModel model, boolean overwrite,
                                 Configuration hadoop) throws IOException {
        checkVocab(vocab, model);
        AtomicOutput.write(target, overwrite, hadoop, out -> writeText(out, vocab, model));
    }

    /** Writes the text vectors to a stream (not closed). */
    public static void writeText(OutputStream out, List<String> vocab, GloveModel model) throws IOException {
        checkVocab(vocab, model);
        Writer writer = new OutputStreamWriter(new BufferedOutputStream(out, 1 << 16), StandardCharsets.UTF_8);
        double[] w = model.parameters();
        int d = model.dim();
        StringBuilder line = new StringBuilder();
        for (int id = 1; id <= vocab.size(); id++) {
            line.setLength(0);
            line.append(vocab.get(id - 1));
            int o1 = model.wordOffset(id);
            int o2 = model.contextOffset(id);
            for (int b = 0; b < d; b++) {
                line.append(' ');
                appendLf(line, w[o1 + b] + w[o2 + b]);
            }
            line.append('\n');
            writer.append(line);
        }
        writer.flush();
    }

    /** Writes glove.c's binary parameter file (see the class comment for the layout). */
    public static void writeBinary(String target, GloveModel model, boolean overwrite, Configuration hadoop)
            throws IOException {
        AtomicOutput.write(target, overwrite, hadoop, out -> writeBinary(out, model));
    }

    /** Writes glove.c's binary parameter file to a stream (not closed). */
    public static void writeBinary(OutputStream out, GloveModel model) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (double value : model.parameters()) {
            if (!buffer.hasRemaining()) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            buffer.putDouble(value);
        }
        out.write(buffer.array(), 0, buffer.position());
        out.flush();
    }

    /** Size of the binary file: 2·V·(d+1) doubles. */
    public static long binarySize(long vocabSize, int dim) {
        return 2L * vocabSize * (dim + 1) * Double.BYTES;
    }

    /** {@code value} as C's {@code printf("%lf")} prints it. */
    public static String formatLf(double value) {
        StringBuilder out = new StringBuilder(12);
        appendLf(out, value);
        return out.toString();
    }

    /**
     * Appends {@code value} as C's {@code %lf} (glibc): 6 decimals rounded to nearest from the exact
     * binary value, ties to even; "-" for any negative value including -0.0; inf/nan as glibc.
     */
    public static void appendLf(StringBuilder out, double value) {
        if (Double.isNaN(value)) {
            out.append(Double.doubleToRawLongBits(value) < 0 ? "-nan" : "nan");
            return;
        }
        boolean negative = value < 0 || (value == 0 && Double.doubleToRawLongBits(value) != 0);
        double magnitude = Math.abs(value);
        if (negative) {
            out.append('-');
        }
        if (Double.isInfinite(magnitude)) {
            out.append("inf");
            return;
        }
        if (magnitude < 1e3) {
            // 1e6·|v| < 1e9 is computed with an error below 1e-7; unless it lies that close to a
            // rounding tie, rounding it gives the same 6-decimal result as the exact value would.
            double scaled = magnitude * 1e6;
            double floor = Math.floor(scaled);
            double fraction = scaled - floor;
            if (Math.abs(fraction - 0.5) > 1e-6) {
                long micros = (long) floor + (fraction > 0.5 ? 1 : 0);
                long units = micros / 1_000_000;
                int decimals = (int) (micros % 1_000_000);
                out.append(units).append('.');
                String digits = Integer.toString(decimals);
                for (int k = digits.length(); k < 6; k++) {
                    out.append('0');
                }
                out.append(digits);
                return;
            }
        }
        out.append(new BigDecimal(magnitude).setScale(6, RoundingMode.HALF_EVEN).toPlainString());
    }

    private static void checkVocab(List<String> vocab, GloveModel model) {
        if (vocab.size() != model.vocabSize()) {
            throw new IllegalArgumentException("vocabulary has " + vocab.size() + " words but the model "
                    + model.vocabSize());
        }
    }

    private static String abbreviate(String line) {
        return line.length() > 60 ? line.substring(0, 60) + "..." : line;
    }
}
