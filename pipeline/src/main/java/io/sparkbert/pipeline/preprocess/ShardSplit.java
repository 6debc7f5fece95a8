package io.sparkbert.pipeline.preprocess;

import io.sparkbert.pipeline.samples.TrainingSample;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

/**
 * A byte range of a shard that one Spark task reads: the row groups whose middle falls in
 * {@code [start, end)}, as Hadoop's Parquet input splits are cut, so that the ranges of a shard read each of
 * its row groups exactly once.
 */
public record ShardSplit(String shard, long start, long end) implements Serializable {

    /** The splits of the shards: each shard cut into ranges of at most {@code maxBytes}. */
    public static List<ShardSplit> of(List<String> shards, Configuration hadoop, long maxBytes) throws IOException {
        List<ShardSplit> splits = new ArrayList<>();
        for (String shard : shards) {
            Path path = new Path(shard);
            long length = path.getFileSystem(hadoop).getFileStatus(path).getLen();
            long pieces = Math.max(1, (length + maxBytes - 1) / maxBytes);
            for (long i = 0; i < pieces; i++) {
                splits.add(new ShardSplit(shard, length * i / pieces, length * (i + 1) / pieces));
            }
        }
        return splits;
    }

    /**
     * The samples of the splits, read one split after another; a split's file is closed when its last sample
     * has been handed out, or when the task ends (a task that stops early, such as {@code take}, leaves no open file).
     */
    public static Iterator<TrainingSample> samples(Iterator<ShardSplit> splits, Configuration hadoop) {
        return new Iterator<>() {
            private ParquetReader<TrainingSample> reader;
            private String shard;
            private TrainingSample next;

            {
                TaskContext task = TaskContext.get();
                if (task != null) {
                    task.addTaskCompletionListener((TaskCompletionListener) context -> close());
                }
            }

            @Override
            public boolean hasNext() {
                try {
                    while (next == null) {
                        if (reader != null) {
                            next = reader.read();
                            if (next != null) {
                                break;
                            }
                            close();
                        }
                        if (!splits.hasNext()) {
                            return false;
                        }
                        ShardSplit split = splits.next();
                        shard = split.shard();
                        reader = ParquetReader.builder(new SampleReadSupport(), new Path(split.shard()))
                                .withConf(hadoop).withFileRange(split.start(), split.end()).build();
                    }
                    return true;
                } catch (IOException e) {
                    throw new UncheckedIOException("reading pretraining samples from " + shard + ": " + e.getMessage(), e);
                }
            }

            @Override
            public TrainingSample next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                TrainingSample sample = next;
                next = null;
                return sample;
            }

            private void close() {
                if (reader != null) {
                    try {
                        reader.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    } finally {
                        reader = null;
                    }
                }
            }
        };
    }
}
