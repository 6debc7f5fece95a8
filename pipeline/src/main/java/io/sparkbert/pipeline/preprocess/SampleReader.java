package io.sparkbert.pipeline.preprocess;

import io.sparkbert.pipeline.samples.TrainingSample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/**
 * Reads samples back from a shard with the plain parquet-hadoop reader, no Spark: for {@code inspect},
 * for tests, and as proof that the shards are ordinary Parquet any tool can read.
 */
public final class SampleReader implements AutoCloseable {
    private final ParquetReader<Group> reader;

    public SampleReader(String shard, Configuration hadoop) throws IOException {
        reader = ParquetReader.builder(new GroupReadSupport(), new Path(shard)).withConf(hadoop).build();
    }

    /** The next sample, or null after the last (bookkeeping fields other than length are 0). */
    public TrainingSample next() throws IOException {
        Group row = reader.read();
        if (row == null) {
            return null;
        }
        int[] attention = ints(row, "attention_mask");
        int length = 0;
        for (int a : attention) {
            length += a;
        }
        return new TrainingSample(ints(row, "input_ids"), ints(row, "token_type_ids"), attention,
                ints(row, "masked_lm_positions"), ints(row, "masked_lm_ids"), floats(row, "masked_lm_weights"),
                row.getInteger("next_sentence_label", 0), length, 0, 0, 0, 0);
    }

    /** Up to {@code n} samples (all when n < 0). */
    public List<TrainingSample> read(int n) throws IOException {
        List<TrainingSample> samples = new ArrayList<>();
        TrainingSample sample;
        while ((n < 0 || samples.size() < n) && (sample = next()) != null) {
            samples.add(sample);
        }
        return samples;
    }

    /** A Spark array column: a LIST group of repeated "list" groups with one "element". */
    private static int[] ints(Group row, String column) {
        Group list = row.getGroup(column, 0);
        int n = list.getFieldRepetitionCount("list");
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = list.getGroup("list", i).getInteger("element", 0);
        }
        return values;
    }

    private static float[] floats(Group row, String column) {
        Group list = row.getGroup(column, 0);
        int n = list.getFieldRepetitionCount("list");
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = list.getGroup("list", i).getFloat("element", 0);
        }
        return values;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
