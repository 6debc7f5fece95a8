package io.sparkbert.pipeline.glove;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import scala.Tuple2;

/**
 * The corpus read and split into words ({@link TokenizedSplit}s), and where {@link CooccurrenceJob}'s two passes
 * over it run: Spark's tasks ({@link SparkCorpusSplits}), or, for a small corpus on the local filesystem, the
 * driver's own threads ({@link DriverCorpusSplits}), where a Spark session's start-up and its per-stage and
 * per-task costs would take longer than the counting. Both passes have one shape, a map over the splits that
 * sends blobs keyed by a partition index, then a reduce of each partition; the job is written once against it,
 * so both runners give the same outputs byte for byte.
 */
interface CorpusSplits extends AutoCloseable {
    /** Tasks that run at once: Spark's default parallelism, or the driver's threads. */
    int parallelism();

    /** Where the passes run, for the report: {@code spark (MASTER)} or {@code driver (N threads)}. */
    String runner();

    /** The corpus's input splits. */
    int splitCount();

    /** The Hadoop configuration outputs are written with. */
    Configuration hadoop();

    /** {@code value} where every task can read it (a Spark broadcast, or the value itself). */
    <T extends Serializable> SharedValue<T> share(T value);

    /**
     * Maps every split to blobs keyed by partition ({@code 0 <= key < partitions}), brings each partition's
     * blobs together (in no particular order) and reduces each partition; the results in partition order.
     */
    <R> List<R> mapAndReduce(SplitMapper mapper, int partitions, PartitionReducer<R> reducer);

    /** Frees what the splits hold. */
    @Override
    void close();

    /** A split's keyed blobs. */
    @FunctionalInterface
    interface SplitMapper extends Serializable {
        Iterator<Tuple2<Integer, byte[]>> map(TokenizedSplit split) throws Exception;
    }

    /** One partition's blobs reduced. */
    @FunctionalInterface
    interface PartitionReducer<R> extends Serializable {
        Iterator<R> reduce(int partition, Iterator<Tuple2<Integer, byte[]>> blobs) throws Exception;
    }

    /** A value every task reads. */
    @FunctionalInterface
    interface SharedValue<T> extends Supplier<T>, Serializable {
    }
}
