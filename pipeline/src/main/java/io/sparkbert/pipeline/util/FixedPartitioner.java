package io.sparkbert.pipeline.util;

import java.util.Arrays;
import org.apache.spark.Partitioner;

/**
 * The one frame of this project's Spark partitioners: a fixed number of partitions, each key's partition a pure
 * function of the key and of the numbers the partitioner was built from. Spark compares partitioners to decide
 * whether data is already laid out as asked, so two are equal exactly when they are of the same class and were
 * built from the same numbers. A subclass says only how a key maps to a partition.
 *
 * <p>The mappings stay separate subclasses on purpose: each means something else and fixes which task, shard or
 * worker sees a record, hence bytes of an output or the numbers of a run (docs/design.md §8). Preprocess's shard
 * of a sample is its seeded order modulo the shards (§3.5); GloVe's training partition of an entry is a
 * multiplicative hash of its seeded shuffle key (§4); a pretraining round gives each worker a consecutive range
 * of global batches (§6). Folding them into one mapping would change the outputs.
 */
public abstract class FixedPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;
    private final long[] parameters;

    /**
     * @param partitions how many partitions
     * @param parameters the other numbers the mapping depends on (they decide equality with {@code partitions})
     */
    protected FixedPartitioner(int partitions, long... parameters) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1: " + partitions);
        }
        this.partitions = partitions;
        this.parameters = parameters.clone();
    }

    @Override
    public final int numPartitions() {
        return partitions;
    }

    @Override
    public final boolean equals(Object other) {
        return other != null && other.getClass() == getClass() && ((FixedPartitioner) other).partitions == partitions
                && Arrays.equals(((FixedPartitioner) other).parameters, parameters);
    }

    @Override
    public final int hashCode() {
        return (getClass().getName().hashCode() * 31 + partitions) * 31 + Arrays.hashCode(parameters);
    }
}
