package io.sparkbert.pipeline.glove;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.CompressionCodec;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FieldRepetitionType;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.KeyValue;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageType;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.format.Type;
import org.apache.parquet.format.Util;
import org.xerial.snappy.Snappy;

/**
 * Writes (word_id, context_id, value) records as a Parquet file, column by column, without a record
 * API in between: each page is the column's values in PLAIN encoding (little-endian int32, int32,
 * float64; the columns are required, so pages carry no level data), snappy-compressed as Spark's
 * writer does by default, and the footer is parquet-format's own Thrift structures. Spark's schema
 * ({@link #SPARK_SCHEMA_JSON}) goes into the footer too, so Spark reads the columns back as
 * non-null int, int, double. (parquet-mr's record writer costs about 10 times more CPU per row here,
 * mostly in per-value bookkeeping.)
 */
public final class PairParquetWriter implements Closeable {
    private static final int PAGE_ROWS = 1 << 16;
    private static final int GROUP_ROWS = 1 << 21;
    private static final String[] NAMES = {"word_id", "context_id", "value"};
    /**
     * Spark SQL's JSON of the schema, {@code StructType(word_id int, context_id int, value double)}, none
     * nullable, as Spark writes it into its own Parquet footers. Written out here rather than built with Spark's
     * types, whose JSON writer (json4s) a run counted in the driver would otherwise load only for this line (a
     * test checks it against Spark's).
     */
    static final String SPARK_SCHEMA_JSON = "{\"type\":\"struct\",\"fields\":["
            + "{\"name\":\"word_id\",\"type\":\"integer\",\"nullable\":false,\"metadata\":{}},"
            + "{\"name\":\"context_id\",\"type\":\"integer\",\"nullable\":false,\"metadata\":{}},"
            + "{\"name\":\"value\",\"type\":\"double\",\"nullable\":false,\"metadata\":{}}]}";
    private static final Type[] TYPES = {Type.INT32, Type.INT32, Type.DOUBLE};
    private static final int[] WIDTHS = {4, 4, 8};

    private final OutputStream out;
    private long position;
    /** The current page of each column: its values, little-endian. */
    private final ByteBuffer[] pages = new ByteBuffer[3];
    private final ByteArrayOutputStream[] chunks = new ByteArrayOutputStream[3];
    private final long[] chunkUncompressed = new long[3];
    private byte[] compressed;
    private int pageRows;
    private int groupRows;
    private long rows;
    private final List<RowGroup> groups = new ArrayList<>();

    /** Writes to {@code out}, which it closes. */
    public PairParquetWriter(OutputStream out) throws IOException {
        this.out = out;
        for (int c = 0; c < 3; c++) {
            pages[c] = ByteBuffer.allocate(PAGE_ROWS * WIDTHS[c]).order(ByteOrder.LITTLE_ENDIAN);
            chunks[c] = new ByteArrayOutputStream(1 << 20);
        }
        compressed = new byte[Snappy.maxCompressedLength(PAGE_ROWS * 8)];
        write("PAR1".getBytes(StandardCharsets.US_ASCII));
    }

    public void write(int word1, int word2, double value) throws IOException {
        pages[0].putInt(word1);
        pages[1].putInt(word2);
        pages[2].putDouble(value);
        if (++pageRows == PAGE_ROWS) {
            flushPage();
        }
    }

    private void flushPage() throws IOException {
        if (pageRows == 0) {
            return;
        }
        for (int c = 0; c < 3; c++) {
            int length = pageRows * WIDTHS[c];
            int size = Snappy.compress(pages[c].array(), 0, length, compressed, 0);
            pages[c].clear();
            PageHeader header = new PageHeader(PageType.DATA_PAGE, length, size);
            header.setData_page_header(new DataPageHeader(pageRows, Encoding.PLAIN, Encoding.RLE, Encoding.RLE));
            int before = chunks[c].size();
            Util.writePageHeader(header, chunks[c]);
            int headerSize = chunks[c].size() - before;
            chunks[c].write(compressed, 0, size);
            chunkUncompressed[c] += headerSize + length;
        }
        groupRows += pageRows;
        rows += pageRows;
        pageRows = 0;
        if (groupRows >= GROUP_ROWS) {
            flushGroup();
        }
    }

    private void flushGroup() throws IOException {
        if (groupRows == 0) {
            return;
        }
        List<ColumnChunk> columns = new ArrayList<>(3);
        long totalUncompressed = 0;
        long groupStart = position;
        for (int c = 0; c < 3; c++) {
            long offset = position;
            int size = chunks[c].size();
            chunks[c].writeTo(out);
            position += size;
            chunks[c].reset();
            ColumnMetaData meta = new ColumnMetaData(TYPES[c], List.of(Encoding.PLAIN), List.of(NAMES[c]),
                    CompressionCodec.SNAPPY, groupRows, chunkUncompressed[c], size, offset);
            ColumnChunk column = new ColumnChunk(offset);
            column.setMeta_data(meta);
            columns.add(column);
            totalUncompressed += chunkUncompressed[c];
            chunkUncompressed[c] = 0;
        }
        RowGroup group = new RowGroup(columns, totalUncompressed, groupRows);
        group.setFile_offset(groupStart);
        group.setTotal_compressed_size(position - groupStart);
        groups.add(group);
        groupRows = 0;
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        position += bytes.length;
    }

    @Override
    public void close() throws IOException {
        try {
            flushPage();
            flushGroup();
            List<SchemaElement> schema = new ArrayList<>();
            schema.add(new SchemaElement("spark_schema").setNum_children(3));
            for (int c = 0; c < 3; c++) {
                schema.add(new SchemaElement(NAMES[c]).setType(TYPES[c]).setRepetition_type(FieldRepetitionType.REQUIRED));
            }
            FileMetaData meta = new FileMetaData(1, schema, rows, groups);
            meta.setKey_value_metadata(List.of(new KeyValue("org.apache.spark.sql.parquet.row.metadata")
                    .setValue(SPARK_SCHEMA_JSON)));
            meta.setCreated_by("sparkbert version 0.1.0 (build cooccur)");
            ByteArrayOutputStream footer = new ByteArrayOutputStream();
            Util.writeFileMetaData(meta, footer);
            write(footer.toByteArray());
            write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(footer.size()).array());
            write("PAR1".getBytes(StandardCharsets.US_ASCII));
        } finally {
            out.close();
        }
    }
}
