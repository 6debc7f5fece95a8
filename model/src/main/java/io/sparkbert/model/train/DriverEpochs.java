package io.sparkbert.model.train;

import io.sparkbert.pipeline.samples.Masker;
import io.sparkbert.pipeline.samples.TrainingSample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.IntStream;
import scala.Tuple2;

/**
 * The epochs of a run in local mode, shuffled and batched in the driver from the training samples it holds in
 * memory: the batches of {@link PretrainingData#epochBatches}, in the same order and with the same masks, without
 * Spark. On Spark an epoch is a shuffle (one to two seconds at a short run's first round) and every round's batches
 * a job (a tenth of a second), on the cores that train; here an epoch is a sort and a round a few array copies.
 *
 * <p>An epoch is an order of the samples: sorted by (epoch key, content key), the first
 * {@code batchesPerEpoch · batchSize} of them cut into batches, the rest dropped. Only that order (an int per sample)
 * is kept per epoch; a round's batches are put together, and re-masked when masking is dynamic, when it asks for
 * them. Thread-safe: the next round is asked for while this one trains.
 */
final class DriverEpochs {
    private final TrainingSample[] samples;
    private final long[] contentKeys;
    private final long seed;
    private final int batchSize;
    private final long batchesPerEpoch;
    private final Masker masker;
    private final TreeMap<Integer, int[]> orders = new TreeMap<>();

    /**
     * @param keyed  the training samples keyed by their content key, in any order
     * @param masker null for the stored masks, else the masker of dynamic masking
     */
    DriverEpochs(List<Tuple2<Long, TrainingSample>> keyed, long seed, int batchSize, Masker masker) {
        this.samples = new TrainingSample[keyed.size()];
        this.contentKeys = new long[keyed.size()];
        for (int i = 0; i < samples.length; i++) {
            contentKeys[i] = keyed.get(i)._1;
            samples[i] = keyed.get(i)._2;
        }
        this.seed = seed;
        this.batchSize = batchSize;
        this.batchesPerEpoch = samples.length / batchSize;
        this.masker = masker;
        if (batchesPerEpoch == 0) {
            throw new IllegalArgumentException(samples.length + " samples make no batch of " + batchSize);
        }
    }

    /**
     * The driver's memory for {@code samples} training samples of {@code seqLen} tokens and {@code predictions}
     * predictions, in MB, rounded up: a sample's six arrays (three of {@code seqLen}, three of
     * {@code predictions} 4-byte values), their headers, the sample, its key and the epoch's index of it.
     */
    static long estimatedMb(long samples, int seqLen, int predictions) {
        long perSample = 12L * seqLen + 12L * predictions + 6 * 16 + 96;
        return (samples * perSample + (1 << 20) - 1) >> 20;
    }

    /**
     * Global batches {@code first} to {@code end - 1} in order; global batch g is batch g mod batchesPerEpoch of
     * epoch g / batchesPerEpoch. The orders of epochs before {@code first}'s are forgotten.
     */
    synchronized List<SampleBatch> batches(long first, long end) {
        int firstEpoch = (int) (first / batchesPerEpoch);
        while (!orders.isEmpty() && orders.firstKey() < firstEpoch) {
            orders.pollFirstEntry();
        }
        List<SampleBatch> batches = new ArrayList<>((int) (end - first));
        for (long g = first; g < end; g++) {
            int epoch = (int) (g / batchesPerEpoch);
            int[] order = orders.computeIfAbsent(epoch, this::order);
            int from = (int) (g % batchesPerEpoch) * batchSize;
            List<TrainingSample> members = new ArrayList<>(batchSize);
            for (int i = from; i < from + batchSize; i++) {
                int s = order[i];
                members.add(PretrainingData.epochSample(samples[s], contentKeys[s], seed, epoch, masker));
            }
            batches.add(SampleBatch.of(members));
        }
        return batches;
    }

    /** The samples' indices in the order of epoch {@code epoch}. */
    private int[] order(int epoch) {
        long[] epochKeys = new long[samples.length];
        for (int i = 0; i < samples.length; i++) {
            epochKeys[i] = PretrainingData.epochKey(seed, epoch, contentKeys[i]);
        }
        return IntStream.range(0, samples.length).boxed()
                .sorted(Comparator.<Integer>comparingLong(i -> epochKeys[i]).thenComparingLong(i -> contentKeys[i]))
                .mapToInt(Integer::intValue)
                .toArray();
    }
}
