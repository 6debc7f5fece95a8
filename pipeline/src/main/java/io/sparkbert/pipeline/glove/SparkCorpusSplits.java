package io.sparkbert.pipeline.glove;

import io.sparkbert.pipeline.corpus.ListedTextInputFormat;
import java.io.Serializable;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * The corpus as an RDD of one {@link TokenizedSplit} per input split, cached in memory between the passes; a pass
 * is a Spark job with one shuffle ({@link HashPartitioner} on the blobs' partition keys).
 */
final class SparkCorpusSplits implements CorpusSplits {
    private final JavaSparkContext sc;
    private final Broadcast<CooccurrenceJob.LineWords> splitter;
    private final JavaRDD<TokenizedSplit> splits;
    private final List<Broadcast<?>> shared = new java.util.ArrayList<>();

    SparkCorpusSplits(JavaSparkContext sc, List<FileStatus> files, CooccurrenceJob.LineWords lineWords, int partitions) {
        this.sc = sc;
        Configuration input = CooccurrenceJob.inputConfiguration(sc.hadoopConfiguration(), files,
                Math.max(partitions, sc.defaultParallelism()));
        String paths = files.stream().map(f -> f.getPath().toString()).collect(Collectors.joining(","));
        JavaRDD<Text> lines = sc.newAPIHadoopFile(paths, ListedTextInputFormat.NewApi.class, LongWritable.class,
                Text.class, input).values();
        if (partitions > lines.getNumPartitions()) {
            lines = lines.repartition(partitions);
        }
        this.splitter = sc.broadcast(lineWords);
        Broadcast<CooccurrenceJob.LineWords> words = splitter;
        // read and split into words once: the vocabulary pass fills the cache, the pair pass reads it
        this.splits = lines.mapPartitions(part -> List.of(TokenizedSplit.read(part, words.value())).iterator())
                .persist(StorageLevel.MEMORY_ONLY());
    }

    @Override
    public int parallelism() {
        return sc.defaultParallelism();
    }

    @Override
    public String runner() {
        return "spark (" + sc.master() + ")";
    }

    @Override
    public int splitCount() {
        return splits.getNumPartitions();
    }

    @Override
    public Configuration hadoop() {
        return sc.hadoopConfiguration();
    }

    @Override
    public <T extends Serializable> SharedValue<T> share(T value) {
        Broadcast<T> broadcast = sc.broadcast(value);
        shared.add(broadcast);
        return broadcast::value;
    }

    @Override
    public <R> List<R> mapAndReduce(SplitMapper mapper, int partitions, PartitionReducer<R> reducer) {
        return splits.mapPartitionsToPair(part -> mapper.map(part.next()))
                .partitionBy(new HashPartitioner(partitions))
                .mapPartitionsWithIndex(reducer::reduce, true)
                .collect();
    }

    @Override
    public void close() {
        splits.unpersist(false);
        splitter.unpersist(false);
        shared.forEach(b -> b.unpersist(false));
    }
}
