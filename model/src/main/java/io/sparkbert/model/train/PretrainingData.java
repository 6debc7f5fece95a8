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
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The pretraining samples of one or more preprocessed datasets (Parquet shards, docs/design.md §3.5) as Spark RDDs,
 * in a deterministic order.
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
 * <h2>Dynamic masking</h2>
 * Optionally (RoBERTa's "dynamic masking") each sample is re-masked for every epoch: its original tokens
 * are restored from the stored masked positions/ids and masked again by the preprocessing {@link Masker}
 * with a seed derived from (run seed, epoch, content key).
 */
public final class PretrainingData implements Serializable {

    /** What the datasets have in common: vocab, geometry, casing, and their shard files. */
    public record Info(Vocab vocab, boolean uncased, int seqLen, int maxPredictions, double maskedLmProb,
                       List<String> shards, long samples) implements Serializable {
    }

    private PretrainingData() {
    }

    /** Reads and checks the manifests: every directory a finished dataset, all with one vocab and geometry. */
    public static Info open(List<String> dirs, Configuration hadoop) throws IOException {
        if (dirs.isEmpty()) {
            throw new IllegalArgumentException("no dataset directories given");
        }
        Info first = null;
        List<String> shards = new ArrayList<>();
        long samples = 0;
        for (String dir : dirs) {
            SampleDataset dataset = new SampleDataset(dir, hadoop);
            if (!dataset.isFinished()) {
                throw new IllegalArgumentException(dir + " is not a finished pretraining dataset (no "
                        + SampleDataset.MANIFEST + "); run `sparkbert preprocess` first");
            }
            ObjectNode manifest = dataset.manifest();
            JsonNode config = manifest.path("config");
            Path vocabPath = new Path(dir, SampleDataset.VOCAB);
            Vocab vocab;
            try (var in = vocabPath.getFileSystem(hadoop).open(vocabPath)) {
                vocab = Vocab.read(in, vocabPath.toString());
            }
            Info info = new Info(vocab, !config.path("cased").asBoolean(false),
                    config.path("max_seq_length").asInt(), config.path("max_predictions_per_seq").asInt(),
                    config.path("masked_lm_prob").asDouble(0.15), List.of(), 0);
            if (first == null) {
                first = info;
            } else if (!first.vocab().sha256().equals(vocab.sha256()) || first.seqLen() != info.seqLen()
                    || first.maxPredictions() != info.maxPredictions()) {
                throw new IllegalArgumentException("datasets differ: " + dirs.get(0) + " has vocab "
                        + first.vocab().sha256().substring(0, 12) + ", max_seq_length " + first.seqLen()
                        + ", max_predictions " + first.maxPredictions() + " but " + dir + " has "
                        + vocab.sha256().substring(0, 12) + ", " + info.seqLen() + ", " + info.maxPredictions());
            }
            for (JsonNode shard : manifest.withArray("shards")) {
                String file = new Path(dataset.path(), shard.asText()).toString();
                io.sparkbert.pipeline.util.ParquetFooters.requireComplete(file, hadoop); // a truncated shard, named
                shards.add(file);
            }
            samples += manifest.path("totals").path("samples").asLong(0);
        }
        return new Info(first.vocab(), first.uncased(), first.seqLen(), first.maxPredictions(), first.maskedLmProb(),
                shards, samples);
    }

    /** All samples of the shards, keyed by {@link #contentKey}. */
    public static JavaPairRDD<Long, TrainingSample> read(SparkSession spark, Info info) {
        if (info.shards().isEmpty()) {
            throw new IllegalArgumentException("the datasets hold no shards");
        }
        JavaRDD<Row> rows = spark.read().parquet(info.shards().toArray(new String[0])).javaRDD();
        return rows.map(PretrainingData::toSample).mapToPair(s -> new Tuple2<>(contentKey(s), s));
    }

    static TrainingSample toSample(Row row) {
        int[] mask = ints(row, "attention_mask");
        int length = 0;
        for (int a : mask) {
            length += a;
        }
        List<Float> w = row.getList(row.fieldIndex("masked_lm_weights"));
        float[] weights = new float[w.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = w.get(i);
        }
        return new TrainingSample(ints(row, "input_ids"), ints(row, "token_type_ids"), mask,
                ints(row, "masked_lm_positions"), ints(row, "masked_lm_ids"), weights,
                row.getInt(row.fieldIndex("next_sentence_label")), length, 0, 0, 0, 0);
    }

    private static int[] ints(Row row, String column) {
        List<Integer> list = row.getList(row.fieldIndex(column));
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
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
        return SeededRandom.seed(hash(0xB1A5L, originalTokens(s)), s.nextSentenceLabel());
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

    /** input_ids with the masked positions restored to their original ids, padding cut. */
    static int[] originalTokens(TrainingSample s) {
        int length = 0;
        for (int a : s.attentionMask()) {
            length += a;
        }
        int[] tokens = Arrays.copyOf(s.inputIds(), length);
        for (int i = 0; i < s.maskedLmPositions().length; i++) {
            if (s.maskedLmWeights()[i] > 0) {
                tokens[s.maskedLmPositions()[i]] = s.maskedLmIds()[i];
            }
        }
        return tokens;
    }

    /** The sample masked anew by {@code masker} with {@code seed}: same pair and label, fresh predictions. */
    static TrainingSample remask(TrainingSample s, Masker masker, long seed) {
        int[] original = originalTokens(s);
        MaskedSample m = masker.mask(original, new SeededRandom(seed));
        int seqLen = s.inputIds().length;
        int maxPredictions = s.maskedLmPositions().length;
        int[] ids = Arrays.copyOf(m.tokens(), seqLen);
        int[] positions = new int[maxPredictions];
        int[] labels = new int[maxPredictions];
        float[] weights = new float[maxPredictions];
        for (int i = 0; i < m.predictionCount(); i++) {
            positions[i] = m.positions()[i];
            labels[i] = m.labels()[i];
            weights[i] = 1f;
        }
        return new TrainingSample(ids, s.tokenTypeIds(), s.attentionMask(), positions, labels, weights,
                s.nextSentenceLabel(), s.length(), m.maskCount(), m.randomCount(), m.keepCount(), s.order());
    }

    /** A masker for dynamic masking with the datasets' vocab and masking rate. */
    public static Masker masker(Info info) {
        SampleConfig defaults = SampleConfig.defaults();
        SampleConfig config = new SampleConfig(info.seqLen(), info.maxPredictions(), info.maskedLmProb(),
                defaults.shortSeqProb(), 1, false, defaults.truncation(), 0);
        return new Masker(info.vocab(), config);
    }

    /**
     * The batches of one epoch, keyed by their index in the epoch (0 .. {@code batchesPerEpoch(n)} - 1).
     *
     * @param masker null for the stored (static) masks, else the masker for dynamic masking
     */
    public static JavaPairRDD<Long, SampleBatch> epochBatches(JavaPairRDD<Long, TrainingSample> samples, long seed,
                                                              int epoch, int batchSize, long sampleCount,
                                                              Broadcast<Masker> masker, int partitions) {
        long batches = sampleCount / batchSize;
        long kept = batches * batchSize;
        return samples
                .mapToPair(kv -> new Tuple2<>(SeededRandom.seed(seed, epoch, kv._1), kv))
                .sortByKey(true, partitions)
                .values()
                .zipWithIndex()
                .filter(t -> t._2 < kept)
                .mapToPair(t -> {
                    TrainingSample s = t._1._2;
                    if (masker != null) {
                        s = remask(s, masker.value(), SeededRandom.seed(seed, epoch, t._1._1, 0x3A5CL));
                    }
                    return new Tuple2<>(t._2 / batchSize, new Tuple2<>(t._2, s));
                })
                .groupByKey(partitions)
                .mapValues(members -> {
                    List<Tuple2<Long, TrainingSample>> list = new ArrayList<>();
                    members.forEach(list::add);
                    list.sort((a, b) -> Long.compare(a._1, b._1));
                    List<TrainingSample> ordered = new ArrayList<>(list.size());
                    list.forEach(m -> ordered.add(m._2));
                    return SampleBatch.of(ordered);
                })
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
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
