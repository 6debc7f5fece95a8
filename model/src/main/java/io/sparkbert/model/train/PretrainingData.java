package io.sparkbert.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.pipeline.preprocess.SampleDataset;
import io.sparkbert.pipeline.samples.Masker;
import io.sparkbert.pipeline.samples.MaskedSample;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.samples.SeededRandom;
import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.FixedPartitioner;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The pretraining samples of one or more preprocessed datasets ({@link SampleDataset#open}) in the order
 * training sees them: keys, held-out split, epochs, batches and rounds, all deterministic.
 *
 * <h2>Order</h2>
 * Every sample gets a {@link #contentKey} (a 64-bit hash of all its columns), so its identity does not
 * depend on shards, partitions or executors. Epoch {@code e} orders the samples by
 * {@code seed(runSeed, e, contentKey)} — a fresh shuffle per epoch — and cuts them into batches of
 * {@code batchSize} (the last partial batch is dropped, as {@code drop_remainder} does in Google's input
 * function). Global batch {@code g} is batch {@code g mod batchesPerEpoch} of epoch
 * {@code g / batchesPerEpoch}, so "the data position" of a run is one number, and a resumed run sees the
 * same batches in the same order as an uninterrupted one.
 *
 * <h2>Held-out split</h2>
 * {@code --eval-fraction} keeps the samples whose {@link #pairKey} (a hash of the UNMASKED token sequence)
 * falls below the fraction: the dupe-factor copies of one sentence pair (same pair, other masks) all land
 * on the same side. Different pairs cut from the same document can still straddle the split; a held-out
 * corpus preprocessed separately ({@code --eval-data}) is the clean choice.
 *
 * <h2>Where a round's batches are</h2>
 * An epoch's batches are laid out in contiguous ranges of batch index ({@link EpochLayout}), so the
 * batches of one round sit in one or two partitions of the cached epoch and a round computes only those
 * ({@link #partitionsHolding}), not a pass over the whole epoch: the cost of a round's data does not grow with
 * the corpus.
 *
 * <h2>Dynamic masking</h2>
 * Optionally (RoBERTa's "dynamic masking") each sample is re-masked for every epoch by the preprocessing
 * {@link Masker} ({@link Masker#remask}) with a seed derived from (run seed, epoch, content key).
 */
public final class PretrainingData implements Serializable {
    /** Rounds' worth of batches per partition of an epoch: little to read per round, yet not a block per batch. */
    static final int ROUNDS_PER_PARTITION = 8;
    /** Key-space bins per epoch partition: a bin on a partition's edge goes to both, so more bins send less twice. */
    static final int BINS_PER_PARTITION = 64;

    private PretrainingData() {
    }

    /** All samples of the datasets, keyed by {@link #contentKey}. */
    public static JavaPairRDD<Long, TrainingSample> read(SparkSession spark, SampleDataset.Info info) {
        return info.read(spark).mapToPair(s -> new Tuple2<>(contentKey(s), s));
    }

    /** A 64-bit hash of every column of a sample: its identity, independent of where it is stored. */
    public static long contentKey(TrainingSample s) {
        long h = hash(0x5EED5EEDL, s.inputIds());
        h = hash(h, s.tokenTypeIds());
        h = hash(h, s.maskedLmPositions());
        h = hash(h, s.maskedLmIds());
        int[] weightBits = new int[s.maskedLmWeights().length];
        for (int i = 0; i < weightBits.length; i++) {
            weightBits[i] = Float.floatToIntBits(s.maskedLmWeights()[i]);
        }
        h = hash(h, weightBits);
        return SeededRandom.seed(h, s.nextSentenceLabel());
    }

    /** A hash of the sample's original (unmasked) tokens and label: equal for the masked copies of one pair. */
    public static long pairKey(TrainingSample s) {
        return SeededRandom.seed(hash(0xB1A5L, s.unmaskedTokens()), s.nextSentenceLabel());
    }

    /** True if the sample belongs to the held-out fraction. */
    public static boolean isHeldOut(TrainingSample s, double fraction, long seed) {
        long h = SeededRandom.seed(seed, pairKey(s));
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }

    private static long hash(long h, int[] values) {
        long[] parts = new long[values.length + 2];
        parts[0] = h;
        parts[1] = values.length;
        for (int i = 0; i < values.length; i++) {
            parts[i + 2] = values[i];
        }
        return SeededRandom.seed(parts);
    }

    /**
     * The held-out set a run evaluates on: the first {@code max} samples by content key, so the same whatever the
     * partitioning, in batches of {@code batchSize} (the last one may be smaller). One Spark job: each partition
     * keeps its first {@code max}, the driver merges them.
     */
    public static List<SampleBatch> heldOutBatches(JavaPairRDD<Long, TrainingSample> samples, int max, int batchSize) {
        List<Tuple2<Long, TrainingSample>> taken = samples.takeOrdered(max, new ByContentKey());
        List<SampleBatch> batches = new ArrayList<>();
        for (int i = 0; i < taken.size(); i += batchSize) {
            List<TrainingSample> members = new ArrayList<>();
            taken.subList(i, Math.min(taken.size(), i + batchSize)).forEach(kv -> members.add(kv._2));
            batches.add(SampleBatch.of(members));
        }
        return batches;
    }

    /** Keyed samples by their content key (equal keys are equal samples: the order among them is moot). */
    static final class ByContentKey implements java.util.Comparator<Tuple2<Long, TrainingSample>>, Serializable {
        @Override
        public int compare(Tuple2<Long, TrainingSample> a, Tuple2<Long, TrainingSample> b) {
            return Long.compare(a._1, b._1);
        }
    }

    /**
     * The batches of one epoch, keyed by their index in the epoch (0 .. {@code batchesPerEpoch(n)} - 1), partition
     * {@code p} holding batches {@code p·perPartition} to {@code (p + 1)·perPartition - 1}
     * ({@link EpochLayout#batchesPerPartition}). Not cached: the caller persists what it keeps (a second cached copy here was
     * never released).
     *
     * <p>Two Spark jobs, one shuffle: a pass over the samples counts their epoch keys per bin of the key space,
     * which places every bin's samples in the epoch ({@link EpochLayout}); the samples then go straight to the
     * partition that batches them, which sorts what it received by epoch key. The order is that of sorting all
     * samples by epoch key, whatever the partitioning (samples with equal keys are equal samples).
     *
     * @param masker null for the stored (static) masks, else the masker for dynamic masking
     */
    public static JavaPairRDD<Long, SampleBatch> epochBatches(JavaPairRDD<Long, TrainingSample> samples, long seed,
                                                              int epoch, int batchSize, long sampleCount,
                                                              Broadcast<Masker> masker, int partitions) {
        int bins = Math.multiplyExact(partitions, BINS_PER_PARTITION);
        long[] binCounts = samples
                .mapPartitions(keyed -> {
                    long[] counts = new long[bins];
                    keyed.forEachRemaining(kv -> counts[EpochLayout.bin(epochKey(seed, epoch, kv._1), bins)]++);
                    return List.of(counts).iterator();
                })
                .treeReduce(PretrainingData::sum);
        long counted = Arrays.stream(binCounts).sum();
        if (counted != sampleCount) {
            throw new IllegalStateException("the epoch's samples number " + counted + ", not the " + sampleCount
                    + " counted before: the input changed while training read it");
        }
        EpochLayout layout = EpochLayout.of(binCounts, batchSize, sampleCount / batchSize, partitions);
        return samples
                .flatMapToPair(kv -> {
                    long key = epochKey(seed, epoch, kv._1);
                    int bin = EpochLayout.bin(key, layout.bins());
                    int first = layout.firstPartition(bin);
                    List<Tuple2<Integer, EpochSample>> sent = new ArrayList<>(1);
                    for (int p = first; first >= 0 && p <= layout.lastPartition(bin); p++) {
                        sent.add(new Tuple2<>(p, new EpochSample(key, kv._1, kv._2)));
                    }
                    return sent.iterator();
                })
                .partitionBy(new PartitionIndexPartitioner(partitions))
                .mapPartitionsToPair(received -> batchesOfPartition(received, layout, seed, epoch, masker));
    }

    /** A sample's key in epoch {@code epoch}: the epoch orders its samples by it (ties: equal samples). */
    static long epochKey(long seed, int epoch, long contentKey) {
        return SeededRandom.seed(seed, epoch, contentKey);
    }

    /** A sample as epoch {@code epoch} trains it: as stored, or re-masked for the epoch when {@code masker} is given. */
    static TrainingSample epochSample(TrainingSample sample, long contentKey, long seed, int epoch, Masker masker) {
        return masker == null ? sample
                : masker.remask(sample, new SeededRandom(SeededRandom.seed(seed, epoch, contentKey, 0x3A5CL)));
    }

    /** A sample on its way to the partition that batches it: its epoch key and content key, to rank it. */
    record EpochSample(long epochKey, long contentKey, TrainingSample sample) implements Serializable {
    }

    /**
     * The batches of one epoch partition from the bins it received: each bin's samples ranked by (epoch key,
     * content key) from the bin's first position; those in the partition's range of positions are batched.
     */
    private static Iterator<Tuple2<Long, SampleBatch>> batchesOfPartition(Iterator<Tuple2<Integer, EpochSample>> received,
                                                                          EpochLayout layout, long seed,
                                                                          int epoch, Broadcast<Masker> masker) {
        if (!received.hasNext()) {
            return Collections.emptyIterator();
        }
        List<EpochSample> samples = new ArrayList<>();
        Tuple2<Integer, EpochSample> head = received.next();
        int partition = head._1;
        samples.add(head._2);
        received.forEachRemaining(kv -> samples.add(kv._2));
        samples.sort(Comparator.comparingLong(EpochSample::epochKey).thenComparingLong(EpochSample::contentKey));

        long first = layout.firstPosition(partition);
        long end = layout.endPosition(partition);
        List<TrainingSample> ordered = new ArrayList<>((int) (end - first));
        int bin = -1;
        long position = 0;
        for (EpochSample s : samples) {
            int sampleBin = EpochLayout.bin(s.epochKey(), layout.bins());
            position = sampleBin == bin ? position + 1 : layout.start(sampleBin);
            bin = sampleBin;
            if (position >= first && position < end) {
                ordered.add(epochSample(s.sample(), s.contentKey(), seed, epoch,
                        masker == null ? null : masker.value()));
            }
        }
        if (ordered.size() != end - first) {
            throw new IllegalStateException("epoch partition " + partition + " holds positions " + first + " to "
                    + (end - 1) + " but received " + ordered.size() + " of them");
        }
        List<Tuple2<Long, SampleBatch>> batches = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i += layout.batchSize()) {
            batches.add(new Tuple2<>((first + i) / layout.batchSize(),
                    SampleBatch.of(ordered.subList(i, i + layout.batchSize()))));
        }
        return batches.iterator();
    }

    private static long[] sum(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
    }

    /**
     * How many partitions an epoch of {@code batches} batches gets: enough that one holds about
     * {@link #ROUNDS_PER_PARTITION} rounds (a round then reads one or two of them), and no fewer than the input's
     * partitions or the workers.
     */
    public static int epochPartitions(long batches, long batchesPerRound, int inputPartitions, int workers) {
        long byRounds = (batches + ROUNDS_PER_PARTITION * batchesPerRound - 1) / (ROUNDS_PER_PARTITION * batchesPerRound);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(byRounds, Math.max(inputPartitions, workers)));
    }

    /**
     * Only the partitions of an epoch's batches ({@link #epochBatches}, its keys shifted by {@code offset}) that
     * hold global batches {@code from} (inclusive) to {@code to} (exclusive); the others are not computed or read.
     */
    public static JavaPairRDD<Long, SampleBatch> partitionsHolding(JavaPairRDD<Long, SampleBatch> epoch, long offset,
                                                                   long batchesInEpoch, long from, long to) {
        long first = Math.max(from - offset, 0);
        long end = Math.min(to - offset, batchesInEpoch);
        if (first >= end) {
            throw new IllegalArgumentException("batches [" + from + ", " + to + ") are not in the epoch of batches ["
                    + offset + ", " + (offset + batchesInEpoch) + ")");
        }
        long perPartition = EpochLayout.batchesPerPartition(epoch.getNumPartitions(), batchesInEpoch);
        PartitionRange keep = new PartitionRange((int) (first / perPartition), (int) ((end - 1) / perPartition));
        return JavaPairRDD.fromRDD(PartitionPruningRDD.create(epoch.rdd(), keep),
                ClassTag$.MODULE$.apply(Long.class), ClassTag$.MODULE$.apply(SampleBatch.class));
    }

    /** Partition indices {@code first} to {@code last}, inclusive, as Spark's partition filter. */
    private static final class PartitionRange extends AbstractFunction1<Object, Object> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final int first;
        private final int last;

        PartitionRange(int first, int last) {
            this.first = first;
            this.last = last;
        }

        @Override
        public Object apply(Object partition) {
            int p = (Integer) partition;
            return p >= first && p <= last;
        }
    }

    /**
     * The batches of one training round: {@code workers} partitions, partition {@code w} holding, in order,
     * the global batches {@code first + w·perWorker … first + (w+1)·perWorker - 1}.
     */
    public static JavaRDD<SampleBatch> round(JavaPairRDD<Long, SampleBatch> globalBatches, long first, int workers,
                                             int perWorker) {
        long end = first + (long) workers * perWorker;
        return globalBatches
                .filter(kv -> kv._1 >= first && kv._1 < end)
                .repartitionAndSortWithinPartitions(new WorkerPartitioner(workers, first, perWorker))
                .values();
    }

    /** The key is the partition: for records already addressed to their epoch partition. */
    static final class PartitionIndexPartitioner extends FixedPartitioner {
        private static final long serialVersionUID = 1L;

        PartitionIndexPartitioner(int partitions) {
            super(partitions);
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }
    }

    /**
     * Sends global batch g of a round starting at {@code first} to worker (g - first) / perWorker
     * (docs/design.md §6).
     */
    static final class WorkerPartitioner extends FixedPartitioner {
        private static final long serialVersionUID = 1L;
        private final long first;
        private final int perWorker;

        WorkerPartitioner(int workers, long first, int perWorker) {
            super(workers, first, perWorker);
            this.first = first;
            this.perWorker = perWorker;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((((Long) key) - first) / perWorker);
        }
    }
}
