package io.sparkbert.model.train;

import java.io.Serializable;

/**
 * Where an epoch's samples go, worked out from how many epoch keys fall in each bin of the key space, so that the
 * samples are shuffled once, straight to the partition that batches them ({@link PretrainingData#epochBatches}).
 *
 * <p>An epoch orders its samples by their epoch key, a 64-bit hash, so the keys spread evenly over the 64-bit
 * range. That range is cut into {@code bins} equal bins, in the keys' signed order ({@link #bin}); a first pass
 * counts the samples per bin, which gives each bin the epoch positions it holds: bin {@code j} holds positions
 * {@code start(j)} to {@code start(j + 1) - 1}. Epoch partition {@code p} batches the batches
 * {@code p·perPartition} to {@code (p + 1)·perPartition - 1}, i.e. a range of positions; a bin goes to every
 * partition whose positions it overlaps (one, or two at a partition's edge), whole, so the partition can rank
 * the bin's samples among themselves and know each one's exact position. Samples past the last full batch go
 * nowhere.
 */
record EpochLayout(long[] binStarts, int batchSize, long batches, int partitions) implements Serializable {

    /**
     * @param binCounts how many samples' epoch keys fall in each bin
     * @param batchSize samples per batch
     * @param batches   full batches in the epoch (the samples past them are dropped)
     */
    static EpochLayout of(long[] binCounts, int batchSize, long batches, int partitions) {
        long[] starts = new long[binCounts.length + 1];
        for (int j = 0; j < binCounts.length; j++) {
            starts[j + 1] = starts[j] + binCounts[j];
        }
        if (batches * batchSize > starts[binCounts.length]) {
            throw new IllegalArgumentException(batches + " batches of " + batchSize + " need more samples than the "
                    + starts[binCounts.length] + " counted");
        }
        return new EpochLayout(starts, batchSize, batches, partitions);
    }

    /** The bin of an epoch key among {@code bins} equal bins of the 64-bit range, in signed order. */
    static int bin(long key, int bins) {
        long unsigned = key ^ Long.MIN_VALUE;         // signed order as unsigned order
        // floor(unsigned · bins / 2^64): the high half of the unsigned 128-bit product
        return (int) (Math.multiplyHigh(unsigned, bins) + ((unsigned >> 63) & bins));
    }

    int bins() {
        return binStarts.length - 1;
    }

    /** The epoch position of the first sample of bin {@code bin}. */
    long start(int bin) {
        return binStarts[bin];
    }

    long perPartition() {
        return batchesPerPartition(partitions, batches);
    }

    /** Batches per epoch partition: partition {@code p} holds batches {@code p·perPartition} onwards. */
    static long batchesPerPartition(int partitions, long batches) {
        return Math.max(1, (batches + partitions - 1) / partitions);
    }

    /** First epoch position batched by partition {@code p}. */
    long firstPosition(int p) {
        return Math.min((long) p * perPartition(), batches) * batchSize;
    }

    /** One past the last epoch position batched by partition {@code p}. */
    long endPosition(int p) {
        return firstPosition(p + 1);
    }

    /** First partition that needs bin {@code bin}; with {@link #lastPartition}, -1 when none does. */
    int firstPartition(int bin) {
        return binStarts[bin + 1] == binStarts[bin] || binStarts[bin] >= batches * batchSize ? -1
                : (int) (binStarts[bin] / (perPartition() * batchSize));
    }

    /** Last partition that needs bin {@code bin} (meaningful only when {@link #firstPartition} is not -1). */
    int lastPartition(int bin) {
        long lastPosition = Math.min(binStarts[bin + 1], batches * batchSize) - 1;
        return (int) (lastPosition / (perPartition() * batchSize));
    }
}
