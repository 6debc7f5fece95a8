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
        return row == null ? null : SampleColumns.toSample(row);
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

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
