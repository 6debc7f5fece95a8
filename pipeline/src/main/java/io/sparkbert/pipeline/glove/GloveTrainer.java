package io.sparkbert.pipeline.glove;

import io.sparkbert.pipeline.util.FixedPartitioner;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * GloVe training on Spark by parameter averaging (model averaging, "local SGD").
 *
 * <p><b>Data.</b> The non-zero entries X_ij are shuffled once, deterministically: each entry gets a
 * 64-bit key hashed from (seed, i, j); the key picks its partition and orders the entries inside it
 * (ties broken by i, j and the value). The shuffled entries stay cached, as compact column arrays, for
 * all iterations. Shuffling matters as for glove.c (which reads a file shuffled by {@code shuffle}):
 * SGD wants the entries of a pass in random order.
 *
 * <p><b>One iteration.</b> The driver broadcasts the current model (parameters and AdaGrad
 * accumulators). Each partition runs one pass of glove.c's single-threaded update
 * ({@link GloveModel#step}) over its own entries, in its order, on a private copy of the rows it
 * touches (copied from the broadcast on first touch; the broadcast itself is never written). It then
 * emits only those rows: a row is a word's w_i and b_i, or a context's w~_j and b~_j, with their
 * accumulators. The rows are shuffled by row id; for every row the new value is the <b>mean over the
 * partitions that updated it</b>, of the parameters and of the accumulators alike, summed in partition
 * order. Rows no partition touched keep their value. The driver streams the averaged rows into the
 * next model. Each partition also reports the glove.c cost of its pass (Σ 0.5·f·diff² as computed
 * during the pass, before each entry's update); their sum over the number of entries is the cost
 * printed per iteration, as glove.c prints {@code total_cost/num_lines}.
 *
 * <p><b>Why it converges.</b> Every partition optimises the same objective J = Σ f·(w_i·w~_j + b_i +
 * b~_j − log X_ij)²/2: the hash shuffle splits J's terms into P uniformly random subsets, and a
 * partition's pass is glove.c's AdaGrad-SGD on its subset, started from the common point. So each
 * partition's displacement of a row is a stochastic descent step for J, and the new row, the start
 * plus the mean of those displacements, is a convex combination of descent steps: for small steps
 * (AdaGrad's per-coordinate rate eta/sqrt(G) only shrinks) it approaches the averaged gradient step of
 * mini-batch SGD, which converges to a stationary point of the smooth objective; this is the
 * parameter-averaging / local-SGD scheme (Zinkevich et al. 2010, "Parallelized stochastic gradient
 * descent"; Stich 2019, "Local SGD converges fast and communicates little"). Averaging also contracts
 * the disagreement between the replicas: after every combine they are identical again, so they drift
 * apart by at most one pass of steps, and by convexity of the squared distance the mean is no farther
 * from any point (an optimum included) than the replicas are on average. Averaging each row over only
 * the partitions that touched it keeps a rare word from being pulled back to its old value by the
 * partitions that never saw it. The accumulators G are averaged alike, so each row's rate decays as
 * it would on one partition's share of its terms. The price of the parallelism is progress per
 * iteration: a row touched by k partitions moves by about 1/k of what a sequential pass would move it,
 * so more partitions need more iterations (in the tests, 2 partitions about twice as many as 1). With
 * one partition the mean of one value is that value: training is then exactly glove.c's
 * single-threaded algorithm over the shuffled entries, bit for bit.
 *
 * <p><b>Determinism.</b> The vectors depend on the input, the config (seed and number of partitions
 * included), never on executors, scheduling or task retries: the shuffle is a function of the seed,
 * a partition's pass is sequential, and averages are summed in partition order.
 *
 * <p><b>Limits.</b> The whole model must fit on the driver: parameters and accumulators take
 * V·(2d+2)·16 bytes ({@link GloveModel#bytesNeeded}), e.g. 1.3 GB for V = 400,000 and d = 100; during an
 * iteration the driver holds the current model, its serialized broadcast and the next model, about
 * three times that. The averaged rows reach the driver in chunks of about 16 MB (the combine step has
 * at least that many partitions), so no single task result approaches Spark's limits. Each task holds
 * a copy of the rows its partition touches and an int per row (8V bytes). The entries themselves never
 * reach the driver; they stay cached on the executors (16 bytes each) for the whole training.
 */
public final class GloveTrainer {
    /** Row id of the per-partition statistics record in the averaging shuffle. */
    private static final int STATS_ROW = -1;
    /** Entries per cached block. */
    private static final int BLOCK_SIZE = 1 << 20;
    /**
     * Bytes of averaged rows per partition of the combine step, each of which reaches the driver as one
     * task result: well below Spark's limits (spark.kryoserializer.buffer.max 64m, maxResultSize 1g).
     */
    private static final long COMBINE_BYTES = 16L << 20;

    private final GloveConfig config;

    public GloveTrainer(GloveConfig config) {
        this.config = config;
    }

    /** Called after each iteration, with glove.c's cost of the pass (iterations count from 1). */
    @FunctionalInterface
    public interface Listener {
        void iteration(int iteration, double cost, long skipped);
    }

    /**
     * The trained model with glove.c's cost per iteration.
     *
     * @param costs   cost of iteration 1, 2, ...: Σ 0.5·f·diff² over the pass / number of entries
     * @param skipped entries skipped per iteration because diff was NaN or infinite (as glove.c does)
     */
    public record Result(GloveModel model, List<Double> costs, List<Long> skipped, long entries, int partitions) {

        /** The cost after the last iteration, NaN when none ran. */
        public double finalCost() {
            return costs.isEmpty() ? Double.NaN : costs.get(costs.size() - 1);
        }

        /**
         * The run's report (the {@code glove} command writes it as JSON next to the vectors): where the vectors
         * went and came from, the configuration, and the cost and skipped entries of every iteration.
         */
        public Map<String, Object> report(GloveConfig config, String vectors, String binary, String input,
                                          int vocabSize, double seconds) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("output", vectors);
            report.put("binary", binary);
            report.put("input", input);
            report.put("vocab_size", vocabSize);
            report.put("cooccurrences", entries);
            report.put("dim", config.dim());
            report.put("iterations", config.iterations());
            report.put("x_max", config.xMax());
            report.put("alpha", config.alpha());
            report.put("eta", config.eta());
            report.put("grad_clip", config.gradClip());
            report.put("seed", config.seed());
            report.put("partitions", partitions);
            report.put("cost_per_iteration", costs);
            report.put("skipped_per_iteration", skipped);
            report.put("model_bytes", GloveModel.bytesNeeded(vocabSize, config.dim()));
            report.put("seconds", seconds);
            return report;
        }
    }

    /**
     * Reads glove.c's co-occurrences from a Parquet dataset with columns {@code word_id},
     * {@code context_id} (1-based ints) and {@code value} (double; a column {@code count} is accepted
     * instead, for co-occurrences written under that name).
     */
    public static JavaRDD<GloveEntry> readCooccurrences(SparkSession spark, String parquet) throws IOException {
        Path path = new Path(parquet);
        if (!path.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(path)) {
            throw new IllegalArgumentException("co-occurrences not found: " + parquet);
        }
        Dataset<Row> frame = spark.read().parquet(parquet);
        List<String> columns = Arrays.asList(frame.columns());
        String valueColumn = columns.contains("value") ? "value" : "count";
        for (String column : List.of("word_id", "context_id", valueColumn)) {
            if (!columns.contains(column)) {
                throw new IllegalArgumentException(parquet + " has no column " + column + " (columns: " + columns
                        + "); expected word_id, context_id, value");
            }
        }
        // nulls become an invalid entry (id 0, NaN), which training then reports clearly
        return frame.select("word_id", "context_id", valueColumn).javaRDD()
                .map(row -> new GloveEntry(row.isNullAt(0) ? 0 : ((Number) row.get(0)).intValue(),
                        row.isNullAt(1) ? 0 : ((Number) row.get(1)).intValue(),
                        row.isNullAt(2) ? Double.NaN : ((Number) row.get(2)).doubleValue()));
    }

    /** Trains on {@code entries} (ids in 1..vocabSize) and returns the final model and the costs. */
    public Result train(JavaRDD<GloveEntry> entries, int vocabSize, Listener listener) {
        JavaSparkContext spark = JavaSparkContext.fromSparkContext(entries.context());
        int partitions = config.partitions() > 0 ? config.partitions() : spark.defaultParallelism();
        GloveModel model = GloveModel.initialize(vocabSize, config.dim(), config.seed());
        JavaRDD<EntryBlock> blocks = shuffle(entries, config.seed(), partitions)
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long count = blocks.map(block -> (long) block.size()).fold(0L, Long::sum);
            if (count == 0) {
                throw new IllegalArgumentException("no co-occurrences to train on");
            }
            List<String> bad = blocks.flatMap(block -> block.invalid(vocabSize).iterator()).take(1);
            if (!bad.isEmpty()) {
                throw new IllegalArgumentException("invalid co-occurrence " + bad.get(0) + ": ids must be in 1.."
                        + vocabSize + " (the lines of vocab.txt) and values positive and finite");
            }
            List<Double> costs = new ArrayList<>();
            List<Long> skipped = new ArrayList<>();
            for (int iteration = 1; iteration <= config.iterations(); iteration++) {
                double[] stats = new double[2];
                model = iterate(spark, blocks, model, partitions, stats);
                double cost = stats[0] / count;
                costs.add(cost);
                skipped.add((long) stats[1]);
                if (listener != null) {
                    listener.iteration(iteration, cost, (long) stats[1]);
                }
            }
            return new Result(model, Collections.unmodifiableList(costs), Collections.unmodifiableList(skipped),
                    count, partitions);
        } finally {
            blocks.unpersist(false);
        }
    }

    /** One iteration: local passes, averaging shuffle, streamed into the next model. */
    private GloveModel iterate(JavaSparkContext spark, JavaRDD<EntryBlock> blocks, GloveModel current,
                               int partitions, double[] stats) {
        Broadcast<GloveModel> shared = spark.broadcast(current);
        GloveConfig settings = config;
        try {
            JavaPairRDD<Integer, double[]> averaged = blocks
                    .mapPartitionsWithIndex((index, it) -> localPass(index, it, shared.value(), settings), false)
                    .mapToPair(update -> update)
                    .groupByKey(new HashPartitioner(combinePartitions(current, partitions)))
                    .mapToPair(row -> new Tuple2<>(row._1, combine(row._1, row._2)));
            // the next model starts as a copy: the broadcast's value may be this very object (local mode)
            GloveModel next = current.copy();
            double[] params = next.parameters();
            double[] gradsq = next.gradsq();
            int stride = next.dim() + 1;
            Iterator<Tuple2<Integer, double[]>> rows = averaged.toLocalIterator();
            while (rows.hasNext()) {
                Tuple2<Integer, double[]> row = rows.next();
                double[] values = row._2;
                if (row._1 == STATS_ROW) {
                    stats[0] = values[0];
                    stats[1] = values[1];
                } else {
                    int offset = row._1 * stride;
                    System.arraycopy(values, 0, params, offset, stride);
                    System.arraycopy(values, stride, gradsq, offset, stride);
                }
            }
            return next;
        } finally {
            shared.destroy();
        }
    }

    /** Partitions of the combine step: at least one per training partition, and at most ~16 MB each. */
    static int combinePartitions(GloveModel model, int partitions) {
        long bytes = GloveModel.bytesNeeded(model.vocabSize(), model.dim());
        return (int) Math.max(partitions, Math.min(1_000_000, (bytes + COMBINE_BYTES - 1) / COMBINE_BYTES));
    }

    /**
     * A partition's pass over its entries on private copies of the rows it touches, returning those rows
     * (parameters then accumulators) and its statistics (cost, skipped), each tagged with the partition.
     */
    static Iterator<Tuple2<Integer, Tuple2<Integer, double[]>>> localPass(int partition, Iterator<EntryBlock> blocks,
                                                                         GloveModel base, GloveConfig config) {
        LocalRows rows = new LocalRows(base);
        int d = base.dim();
        int vocabSize = base.vocabSize();
        double[] updates1 = new double[d];
        double[] updates2 = new double[d];
        double cost = 0;
        long skipped = 0;
        while (blocks.hasNext()) {
            EntryBlock block = blocks.next();
            for (int n = 0; n < block.size(); n++) {
                int o1 = rows.offset(block.words()[n] - 1);
                int o2 = rows.offset(vocabSize + block.contexts()[n] - 1);
                double c = GloveModel.step(rows.params, rows.gradsq, o1, o2, d, block.values()[n], config,
                        updates1, updates2);
                if (Double.isNaN(c)) {
                    skipped++;
                } else {
                    cost += c;
                }
            }
        }
        List<Tuple2<Integer, Tuple2<Integer, double[]>>> out = new ArrayList<>(rows.count + 1);
        for (int slot = 0; slot < rows.count; slot++) {
            out.add(new Tuple2<>(rows.rowOf[slot], new Tuple2<>(partition, rows.row(slot))));
        }
        out.add(new Tuple2<>(STATS_ROW, new Tuple2<>(partition, new double[] {cost, skipped})));
        return out.iterator();
    }

    /**
     * Combines what the partitions sent for one row: the mean of the row's values over the partitions
     * that sent it, summed in partition order; for the statistics record, the sums.
     */
    static double[] combine(int row, Iterable<Tuple2<Integer, double[]>> byPartition) {
        List<Tuple2<Integer, double[]>> sorted = new ArrayList<>();
        byPartition.forEach(sorted::add);
        sorted.sort((a, b) -> Integer.compare(a._1, b._1));
        double[] sum = sorted.get(0)._2.clone();
        for (int k = 1; k < sorted.size(); k++) {
            double[] values = sorted.get(k)._2;
            for (int i = 0; i < sum.length; i++) {
                sum[i] += values[i];
            }
        }
        if (row != STATS_ROW && sorted.size() > 1) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] /= sorted.size();
            }
        }
        return sum;
    }

    /**
     * The entries in the order training visits them: partition {@code partitionOf(key)}, and within a
     * partition ascending (key, word, context, value), where key = {@link #shuffleKey}; cut into blocks
     * of at most 2^20 entries. Public so that a single-threaded reference can replay what a partition
     * sees (see {@link #entries}).
     */
    public static JavaRDD<EntryBlock> shuffle(JavaRDD<GloveEntry> entries, long seed, int partitions) {
        return entries
                .mapToPair(e -> new Tuple2<>(new ShuffleKey(shuffleKey(seed, e.word(), e.context()), e.word(),
                        e.context(), e.value()), Boolean.TRUE))
                .repartitionAndSortWithinPartitions(new KeyPartitioner(partitions))
                .mapPartitions(GloveTrainer::toBlocks, true);
    }

    /** The 64-bit shuffle key of entry (word, context) under {@code seed} (SplitMix64 finalizer). */
    public static long shuffleKey(long seed, int word, int context) {
        long z = seed * 0x9E3779B97F4A7C15L + (((long) word << 32) | (context & 0xFFFFFFFFL));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        z = (z + 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 29);
    }

    /** The partition (of {@code partitions}) an entry with shuffle key {@code key} is trained in. */
    public static int partitionOf(long key, int partitions) {
        return (int) Long.remainderUnsigned(key * 0xD6E8FEB86659FD93L, partitions);
    }

    private static Iterator<EntryBlock> toBlocks(Iterator<Tuple2<ShuffleKey, Boolean>> sorted) {
        List<EntryBlock> blocks = new ArrayList<>();
        int[] words = new int[16];
        int[] contexts = new int[16];
        double[] values = new double[16];
        int n = 0;
        while (sorted.hasNext()) {
            ShuffleKey key = sorted.next()._1;
            if (n == words.length) {
                int capacity = Math.min(BLOCK_SIZE, 2 * n);
                words = Arrays.copyOf(words, capacity);
                contexts = Arrays.copyOf(contexts, capacity);
                values = Arrays.copyOf(values, capacity);
            }
            words[n] = key.word();
            contexts[n] = key.context();
            values[n] = key.value();
            n++;
            if (n == BLOCK_SIZE) {
                blocks.add(new EntryBlock(words, contexts, values));
                words = new int[16];
                contexts = new int[16];
                values = new double[16];
                n = 0;
            }
        }
        if (n > 0) {
            blocks.add(new EntryBlock(Arrays.copyOf(words, n), Arrays.copyOf(contexts, n), Arrays.copyOf(values, n)));
        }
        return blocks.iterator();
    }

    /** A run of shuffled entries of one partition, as columns. */
    public record EntryBlock(int[] words, int[] contexts, double[] values) implements Serializable {
        public int size() {
            return words.length;
        }

        public GloveEntry get(int n) {
            return new GloveEntry(words[n], contexts[n], values[n]);
        }

        /** The entries of this block that glove.c could not train on: ids out of range, bad values. */
        List<String> invalid(int vocabSize) {
            List<String> invalid = new ArrayList<>();
            for (int n = 0; n < words.length && invalid.isEmpty(); n++) {
                if (words[n] < 1 || words[n] > vocabSize || contexts[n] < 1 || contexts[n] > vocabSize
                        || !(values[n] > 0) || !Double.isFinite(values[n])) {
                    invalid.add("(word_id " + words[n] + ", context_id " + contexts[n] + ", value " + values[n] + ")");
                }
            }
            return invalid;
        }
    }

    /** Sort key of the one-time shuffle. */
    record ShuffleKey(long key, int word, int context, double value) implements Comparable<ShuffleKey>,
            Serializable {
        @Override
        public int compareTo(ShuffleKey o) {
            int c = Long.compare(key, o.key);
            if (c == 0) {
                c = Integer.compare(word, o.word);
            }
            if (c == 0) {
                c = Integer.compare(context, o.context);
            }
            return c != 0 ? c : Double.compare(value, o.value);
        }
    }

    /** Sends an entry to the partition its shuffle key picks, {@link #partitionOf} (docs/design.md §4). */
    static final class KeyPartitioner extends FixedPartitioner {
        private static final long serialVersionUID = 1L;

        KeyPartitioner(int partitions) {
            super(partitions);
        }

        @Override
        public int getPartition(Object key) {
            return partitionOf(((ShuffleKey) key).key(), numPartitions());
        }
    }

    /** A task's private copies of the rows it touched, copied from the shared model on first touch. */
    static final class LocalRows {
        private final GloveModel base;
        private final int stride;
        private final int[] slotOf;
        int[] rowOf = new int[64];
        double[] params;
        double[] gradsq;
        int count;

        LocalRows(GloveModel base) {
            this.base = base;
            this.stride = base.dim() + 1;
            this.slotOf = new int[2 * base.vocabSize()];
            Arrays.fill(slotOf, -1);
            this.params = new double[64 * stride];
            this.gradsq = new double[64 * stride];
        }

        /** The offset in {@link #params}/{@link #gradsq} of {@code row} (0-based, glove.c's row numbering). */
        int offset(int row) {
            int slot = slotOf[row];
            if (slot < 0) {
                slot = count++;
                if (slot == rowOf.length) {
                    int capacity = Math.min(slotOf.length, 2 * slot);
                    rowOf = Arrays.copyOf(rowOf, capacity);
                    params = Arrays.copyOf(params, capacity * stride);
                    gradsq = Arrays.copyOf(gradsq, capacity * stride);
                }
                System.arraycopy(base.parameters(), row * stride, params, slot * stride, stride);
                System.arraycopy(base.gradsq(), row * stride, gradsq, slot * stride, stride);
                slotOf[row] = slot;
                rowOf[slot] = row;
            }
            return slot * stride;
        }

        /** Slot {@code slot}'s parameters followed by its accumulators. */
        double[] row(int slot) {
            double[] values = new double[2 * stride];
            System.arraycopy(params, slot * stride, values, 0, stride);
            System.arraycopy(gradsq, slot * stride, values, stride, stride);
            return values;
        }
    }

    /** An iterator over the entries of blocks, in order (for single-threaded replays). */
    public static Iterator<GloveEntry> entries(Iterator<EntryBlock> blocks) {
        return new Iterator<>() {
            private EntryBlock block;
            private int n;

            @Override
            public boolean hasNext() {
                while ((block == null || n == block.size()) && blocks.hasNext()) {
                    block = blocks.next();
                    n = 0;
                }
                return block != null && n < block.size();
            }

            @Override
            public GloveEntry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return block.get(n++);
            }
        };
    }
}
