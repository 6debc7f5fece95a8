package io.sparkbert.pipeline.util;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.PageEncodingStats;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;

/**
 * Makes a Parquet file's footer canonical, so the same data gives the same bytes in every JVM: parquet-mr collects
 * each column chunk's encodings in a {@code HashSet<Encoding>}, whose order follows the enum constants' identity hash
 * codes, i.e. changes from one JVM to the next (the data pages are equal; the footer lists e.g. [RLE, PLAIN] in one
 * run and [PLAIN, RLE] in the next). Sorting the lists changes neither their meaning nor their serialized size.
 */
public final class ParquetFooters {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private ParquetFooters() {
    }

    /**
     * Checks that a shard is a whole Parquet file (magic number, footer length, footer), so a truncated file is named
     * before any work instead of failing a Spark task with a stack trace.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static void requireComplete(String file, Configuration hadoop) throws IOException {
        try {
            Util.readFileMetaData(new ByteArrayInputStream(readFooter(file, hadoop).footer()));
        } catch (IOException | RuntimeException e) {
            if (e instanceof java.io.FileNotFoundException) {
                throw new IllegalArgumentException("shard " + file + " is missing");
            }
            throw new IllegalArgumentException("shard " + file + " is not a complete Parquet file (truncated or "
                    + "damaged; preprocess it again): " + String.valueOf(e.getMessage()).replace(": " + file, ""));
        }
    }

    private record Footer(long length, byte[] tail, byte[] footer) {
    }

    private static Footer readFooter(String file, Configuration hadoop) throws IOException {
        Path path = new Path(file);
        FileSystem fs = path.getFileSystem(hadoop);
        long length = fs.getFileStatus(path).getLen();
        if (length < 12) {
            throw new IOException("not a Parquet file (" + length + " bytes): " + file);
        }
        byte[] tail = new byte[8];
        byte[] footer;
        try (FSDataInputStream in = fs.open(path)) {
            in.readFully(length - 8, tail);
            if (!Arrays.equals(Arrays.copyOfRange(tail, 4, 8), MAGIC)) {
                throw new IOException("not a Parquet file (no PAR1 at its end, " + length + " bytes): " + file);
            }
            int footerLength = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (footerLength <= 0 || footerLength > length - 12) {
                throw new IOException("corrupt Parquet footer length " + footerLength + ": " + file);
            }
            footer = new byte[footerLength];
            in.readFully(length - 8 - footerLength, footer);
        }
        return new Footer(length, tail, footer);
    }

    /** Sorts the encodings (and page encoding stats) of every column chunk; returns whether the file changed. */
    public static boolean canonicalize(String file, Configuration hadoop) throws IOException {
        Path path = new Path(file);
        FileSystem fs = path.getFileSystem(hadoop);
        Footer read = readFooter(file, hadoop);
        long length = read.length();
        byte[] tail = read.tail();
        byte[] footer = read.footer();
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(footer));
        for (RowGroup group : meta.getRow_groups()) {
            for (ColumnChunk chunk : group.getColumns()) {
                ColumnMetaData column = chunk.getMeta_data();
                if (column == null) {
                    continue;
                }
                column.getEncodings().sort(Comparator.comparingInt(e -> e.getValue()));
                if (column.isSetEncoding_stats()) {
                    column.getEncoding_stats().sort(Comparator.comparingInt((PageEncodingStats s) ->
                            s.getPage_type().getValue()).thenComparingInt(s -> s.getEncoding().getValue()));
                }
            }
        }
        ByteArrayOutputStream rewritten = new ByteArrayOutputStream(footer.length);
        Util.writeFileMetaData(meta, rewritten);
        byte[] canonical = rewritten.toByteArray();
        if (Arrays.equals(canonical, footer)) {
            return false;
        }
        if (canonical.length != footer.length) {
            throw new IOException("the canonical footer of " + file + " changed size (" + footer.length + " -> "
                    + canonical.length + " bytes)");
        }
        FileSystem raw = fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
        if (raw instanceof RawLocalFileSystem local) {
            try (RandomAccessFile out = new RandomAccessFile(local.pathToFile(path), "rw")) {
                out.seek(length - 8 - footer.length);
                out.write(canonical);
            }
        } else { // object stores and HDFS cannot write in place: copy, then replace
            Path copy = new Path(path.getParent(), "." + path.getName() + ".footer");
            try (InputStream in = fs.open(path); OutputStream out = fs.create(copy, true)) {
                long body = length - 8 - footer.length;
                byte[] buffer = new byte[1 << 16];
                for (long done = 0; done < body; ) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, body - done));
                    if (n < 0) {
                        throw new IOException("unexpected end of " + file);
                    }
                    out.write(buffer, 0, n);
                    done += n;
                }
                out.write(canonical);
                out.write(tail);
            }
            if (!fs.delete(path, false) || !fs.rename(copy, path)) {
                throw new IOException("cannot replace " + file + " with its canonical copy " + copy);
            }
        }
        return true;
    }
}
