package io.sparkbert.pipeline.glove;

import io.sparkbert.pipeline.text.LenientUtf8Decoder;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.SparkOutputs;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * GloVe's vocab_count + cooccur on Spark (SPEC §4). Two passes over the corpus: word counts (combined
 * per partition, reduced on the cluster, only the vocabulary reaches the driver), then co-occurrences:
 * each task sums its pairs in {@link TieredPairCounts} (dense for frequent pairs, a bounded table that
 * flushes partial sums when full for the rest); the partial sums are range-partitioned by word1 (ranges
 * balanced by the words' counts) and sorted by Spark, spilling to disk when they exceed memory, and the
 * writer adds up a pair's partial sums, which the sort puts next to each other. So the output is GloVe's
 * order, and the same whatever the partitioning, after a single shuffle; nothing of the matrix is collected.
 */
public final class CooccurrenceJob {
    private static final Logger LOG = LoggerFactory.getLogger(CooccurrenceJob.class);
    /** The token GloVe reserves for the averaged unknown vector; vocab_count refuses corpora containing it. */
    public static final String UNK = "<unk>";
    private static final String STAT_PREFIX = " ";

    public enum Tokens { WHITESPACE, WORDPIECE }

    public record Options(int window, boolean symmetric, boolean distanceWeighting, long minCount, long maxVocab,
                          Tokens tokens, boolean uncased, int partitions, int shards, int denseWords,
                          int mapSidePairs)
            implements Serializable {
    }

    /** Input counts (as in report.json). */
    public record InputCounts(long files, long bytes, long lines, long tokens, long unkTokensSkipped,
                              long linesWithInvalidUtf8, long wordsTruncated) implements Serializable {
    }

    public record Result(GloveVocabulary vocabulary, InputCounts input, long nonZeroPairs, double totalWeight,
                         long inVocabTokens, List<String> parquetParts) {
    }

    public static final StructType SCHEMA = new StructType()
            .add("word_id", DataTypes.IntegerType, false)
            .add("context_id", DataTypes.IntegerType, false)
            .add("value", DataTypes.DoubleType, false);

    private CooccurrenceJob() {
    }

    /**
     * Writes {@code vocab.txt}, {@code cooccurrence.bin} and {@code cooccurrence.parquet} into
     * {@code dir} (an empty staging directory).
     */
    public static Result run(SparkSession spark, List<FileStatus> files, Vocab wordPieces, Options options,
                             String dir) throws IOException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = new Configuration(sc.hadoopConfiguration());
        // GloVe ends lines at '\n' only; a '\r' is ignored, not a line end as Hadoop's default reader has it
        hadoop.set("textinputformat.record.delimiter", "\n");
        String inputs = files.stream().map(f -> f.getPath().toString()).collect(Collectors.joining(","));
        JavaRDD<Text> lines = sc.newAPIHadoopFile(inputs, TextInputFormat.class, LongWritable.class, Text.class, hadoop)
                .values();
        if (options.partitions() > lines.getNumPartitions()) {
            lines = lines.repartition(options.partitions());
        }
        BertTokenizer tokenizer = wordPieces == null ? null : new BertTokenizer(wordPieces, options.uncased());
        Broadcast<LineWords> splitter = sc.broadcast(new LineWords(options.tokens(), tokenizer));

        // pass 1: vocabulary
        Map<String, Long> counted = lines.mapPartitionsToPair(part -> countWords(part, splitter.value()))
                .reduceByKey(Long::sum)
                .filter(kv -> kv._1.startsWith(STAT_PREFIX) || kv._2 >= options.minCount())
                .collectAsMap();
        Map<String, Long> wordCounts = new HashMap<>();
        Map<String, Long> stats = new HashMap<>();
        counted.forEach((k, v) -> (k.startsWith(STAT_PREFIX) ? stats : wordCounts).put(k, v));
        GloveVocabulary vocabulary = GloveVocabulary.build(wordCounts, options.minCount(), options.maxVocab());
        InputCounts input = new InputCounts(files.size(), files.stream().mapToLong(FileStatus::getLen).sum(),
                stats.getOrDefault(" lines", 0L), stats.getOrDefault(" tokens", 0L), stats.getOrDefault(" unk", 0L),
                stats.getOrDefault(" invalid_utf8_lines", 0L), stats.getOrDefault(" truncated", 0L));
        if (vocabulary.size() == 0) {
            throw new IllegalArgumentException("no word occurs at least " + options.minCount() + " times in "
                    + input.tokens() + " tokens");
        }
        LOG.info("Vocabulary: {} words (min count {}) from {} tokens in {} lines", vocabulary.size(),
                options.minCount(), input.tokens(), input.lines());
        writeVocabulary(vocabulary, new Path(dir, "vocab.txt"), sc.hadoopConfiguration());

        // pass 2: co-occurrences, combined per task in bounded memory
        CooccurrenceWindow window = new CooccurrenceWindow(options.window(), options.symmetric(),
                options.distanceWeighting());
        Broadcast<Map<String, Integer>> ids = sc.broadcast(vocabulary.ids());
        JavaRDD<Tuple2<Long, Long>> partial = lines.mapPartitions(
                part -> new PairIterator(part, splitter.value(), ids.value(), window,
                        Math.min(options.denseWords(), vocabulary.size()), options.mapSidePairs()));
        // One shuffle: partial sums go to ranges of word1 (balanced by the words' counts, known from pass 1,
        // so the ranges are deterministic), Spark sorts each range (spilling as needed), and the writer adds
        // up the partial sums of a pair, which arrive next to each other.
        long[] weightPerWord = new long[vocabulary.size() + 2];
        for (int id = 1; id <= vocabulary.size(); id++) {
            weightPerWord[id] = vocabulary.entry(id).count();
        }
        int shards = options.shards() > 0 ? options.shards()
                : (int) Math.max(sc.defaultParallelism(), Math.min(1000, input.bytes() / (64L << 20)));
        Word1RangePartitioner partitioner = Word1RangePartitioner.balanced(weightPerWord, shards);
        double scale = window.scale();
        String binParts = new Path(dir, "_bin").toString();
        SerializableConfiguration conf = new SerializableConfiguration(sc.hadoopConfiguration());
        LongAccumulator nonZeros = sc.sc().longAccumulator("non-zero pairs");
        LongAccumulator totalUnits = sc.sc().longAccumulator("total units");
        JavaRDD<Row> rows = partial.mapToPair(pair -> pair)
                .repartitionAndSortWithinPartitions(partitioner)
                .mapPartitionsWithIndex((index, part) -> writeBinaryPart(index, part, binParts, scale, conf, nonZeros,
                        totalUnits), true);
        String parquet = new Path(dir, "cooccurrence.parquet").toString();
        spark.createDataFrame(rows, SCHEMA).write().parquet(parquet); // the result stage: accumulators are exact
        List<String> parts = SparkOutputs.renamePartFiles(parquet, "part", ".parquet", sc.hadoopConfiguration());
        concatenate(binParts, partitioner.numPartitions(), new Path(dir, "cooccurrence.bin"), sc.hadoopConfiguration());
        long inVocab = 0;
        for (GloveVocabulary.Entry entry : vocabulary.entries()) {
            inVocab += entry.count();
        }
        return new Result(vocabulary, input, nonZeros.value(), totalUnits.value() / scale, inVocab, parts);
    }

    /** Splits lines into words (GloVe's way, or wordpieces) and counts what it sees. */
    static final class LineWords implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Tokens mode;
        private final BertTokenizer tokenizer;

        LineWords(Tokens mode, BertTokenizer tokenizer) {
            this.mode = mode;
            this.tokenizer = tokenizer;
        }

        /** The words of a line; returns whether its bytes were valid UTF-8. */
        boolean split(Text line, List<String> out, LenientUtf8Decoder decoder, IntList scratch) {
            long invalidBefore = decoder.invalidSequences();
            if (mode == Tokens.WHITESPACE) {
                GloveWords.split(line.getBytes(), line.getLength(), out);
                if (hasHighBytes(line)) {
                    decoder.decode(line.getBytes(), 0, line.getLength()); // only to count invalid UTF-8
                }
            } else {
                String text = decoder.decode(line.getBytes(), 0, line.getLength());
                scratch.clear();
                tokenizer.encode(text, scratch);
                for (int i = 0; i < scratch.size(); i++) {
                    out.add(GloveWords.fromUtf8(tokenizer.vocab().token(scratch.get(i))));
                }
            }
            return decoder.invalidSequences() == invalidBefore;
        }

        private static boolean hasHighBytes(Text line) {
            byte[] bytes = line.getBytes();
            for (int i = 0; i < line.getLength(); i++) {
                if (bytes[i] < 0) {
                    return true;
                }
            }
            return false;
        }
    }

    private static Iterator<Tuple2<String, Long>> countWords(Iterator<Text> lines, LineWords splitter) {
        Map<String, long[]> counts = new HashMap<>();
        LenientUtf8Decoder decoder = new LenientUtf8Decoder();
        IntList scratch = new IntList();
        List<String> words = new ArrayList<>();
        long lineCount = 0;
        long tokens = 0;
        long unk = 0;
        long invalid = 0;
        long truncated = 0;
        while (lines.hasNext()) {
            Text line = lines.next();
            lineCount++;
            words.clear();
            if (!splitter.split(line, words, decoder, scratch)) {
                invalid++;
            }
            for (String word : words) {
                if (word.equals(UNK)) {
                    unk++;
                    continue;
                }
                if (word.length() >= GloveWords.MAX_WORD_BYTES - 3) {
                    truncated += word.length() == GloveWords.MAX_WORD_BYTES ? 1 : 0;
                }
                tokens++;
                counts.computeIfAbsent(word, w -> new long[1])[0]++;
            }
        }
        List<Tuple2<String, Long>> out = new ArrayList<>(counts.size() + 5);
        counts.forEach((w, n) -> out.add(new Tuple2<>(w, n[0])));
        out.add(new Tuple2<>(" lines", lineCount));
        out.add(new Tuple2<>(" tokens", tokens));
        out.add(new Tuple2<>(" unk", unk));
        out.add(new Tuple2<>(" invalid_utf8_lines", invalid));
        out.add(new Tuple2<>(" truncated", truncated));
        return out.iterator();
    }

    /** Lines in, partial pair sums out: whatever the bounded map flushes, then its rest at the end. */
    private static final class PairIterator implements Iterator<Tuple2<Long, Long>> {
        private final Iterator<Text> lines;
        private final LineWords splitter;
        private final Map<String, Integer> ids;
        private final CooccurrenceWindow window;
        private final TieredPairCounts counts;
        private final LenientUtf8Decoder decoder = new LenientUtf8Decoder();
        private final IntList scratch = new IntList();
        private final List<String> words = new ArrayList<>();
        private int[] lineIds = new int[256];
        private long[] flushedKeys = new long[16];
        private long[] flushedUnits = new long[16];
        private int flushedSize;
        private int next;
        private boolean finished;

        PairIterator(Iterator<Text> lines, LineWords splitter, Map<String, Integer> ids, CooccurrenceWindow window,
                     int denseWords, int maxPairs) {
            this.lines = lines;
            this.splitter = splitter;
            this.ids = ids;
            this.window = window;
            this.counts = new TieredPairCounts(denseWords, maxPairs, this::collect);
        }

        private void collect(long key, long units) {
            if (flushedSize == flushedKeys.length) {
                flushedKeys = java.util.Arrays.copyOf(flushedKeys, flushedSize * 2);
                flushedUnits = java.util.Arrays.copyOf(flushedUnits, flushedSize * 2);
            }
            flushedKeys[flushedSize] = key;
            flushedUnits[flushedSize++] = units;
        }

        private void fill() {
            while (next == flushedSize && !finished) {
                next = 0;
                flushedSize = 0;
                if (!lines.hasNext()) {
                    counts.finish();
                    finished = true;
                    return;
                }
                Text line = lines.next();
                words.clear();
                splitter.split(line, words, decoder, scratch);
                int n = 0;
                for (String word : words) {
                    Integer id = ids.get(word);
                    if (id != null) { // out-of-vocabulary words take no position
                        if (n == lineIds.length) {
                            lineIds = java.util.Arrays.copyOf(lineIds, n * 2);
                        }
                        lineIds[n++] = id;
                    }
                }
                window.count(lineIds, n, counts::add);
            }
        }

        @Override
        public boolean hasNext() {
            fill();
            return next < flushedSize;
        }

        @Override
        public Tuple2<Long, Long> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Tuple2<Long, Long> pair = new Tuple2<>(flushedKeys[next], flushedUnits[next]);
            next++;
            return pair;
        }
    }

    /**
     * Writes one sorted range as GloVe records while passing the rows on to the Parquet writer, one at a
     * time (a range may hold millions of pairs). A retried task rewrites its part from the start.
     */
    private static Iterator<Row> writeBinaryPart(int index, Iterator<Tuple2<Long, Long>> sorted, String dir,
                                                 double scale, SerializableConfiguration conf,
                                                 LongAccumulator nonZeros, LongAccumulator totalUnits)
            throws IOException {
        Path part = new Path(dir, String.format("part-%05d.bin", index));
        OutputStream out = new BufferedOutputStream(rawFileSystem(part, conf.value()).create(part, true), 1 << 16);
        ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        return new Iterator<>() {
            private boolean open = true;
            private Tuple2<Long, Long> pending = sorted.hasNext() ? sorted.next() : null;

            @Override
            public boolean hasNext() {
                if (pending == null && open) {
                    open = false;
                    try {
                        out.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return pending != null;
            }

            @Override
            public Row next() {
                long key = pending._1;
                long units = pending._2;
                pending = null;
                while (sorted.hasNext()) { // partial sums of one pair are adjacent after the sort
                    Tuple2<Long, Long> following = sorted.next();
                    if (following._1 != key) {
                        pending = following;
                        break;
                    }
                    units = Math.addExact(units, following._2);
                }
                int w1 = PairCountMap.word1(key);
                int w2 = PairCountMap.word2(key);
                double value = units / scale;
                nonZeros.add(1);
                totalUnits.add(units);
                record.clear();
                record.putInt(w1).putInt(w2).putDouble(value);
                try {
                    out.write(record.array());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return RowFactory.create(w1, w2, value);
            }
        };
    }

    private static FileSystem rawFileSystem(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }

    /** Joins the binary parts, in range order, into GloVe's single cooccurrence file. */
    private static void concatenate(String partsDir, int parts, Path target, Configuration conf) throws IOException {
        Path dir = new Path(partsDir);
        FileSystem fs = rawFileSystem(dir, conf);
        try (OutputStream out = fs.create(target, false)) {
            byte[] buffer = new byte[1 << 20];
            for (int i = 0; i < parts; i++) {
                Path part = new Path(dir, String.format("part-%05d.bin", i));
                if (!fs.exists(part)) {
                    continue; // an empty range wrote nothing
                }
                try (InputStream in = fs.open(part)) {
                    for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                        out.write(buffer, 0, n);
                    }
                }
            }
        }
        fs.delete(dir, true);
    }

    private static void writeVocabulary(GloveVocabulary vocabulary, Path path, Configuration conf) throws IOException {
        FileSystem fs = rawFileSystem(path, conf);
        try (OutputStream out = fs.create(path, false)) {
            vocabulary.write(out);
        }
    }

    /** Partitions pairs by ranges of word1, so that partitions in order hold the keys in order. */
    static final class Word1RangePartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        /** upper[i]: the last word1 of partition i. */
        private final int[] upper;

        Word1RangePartitioner(int[] upper) {
            this.upper = upper;
        }

        /** Ranges holding about the same number of non-zeros each. */
        static Word1RangePartitioner balanced(long[] nonZerosPerWord, int shards) {
            long total = 0;
            for (long n : nonZerosPerWord) {
                total += n;
            }
            List<Integer> bounds = new ArrayList<>();
            long running = 0;
            long perShard = Math.max(1, (total + shards - 1) / shards);
            for (int w = 0; w < nonZerosPerWord.length; w++) {
                running += nonZerosPerWord[w];
                if (running >= perShard * (bounds.size() + 1) && bounds.size() < shards - 1) {
                    bounds.add(w);
                }
            }
            bounds.add(Integer.MAX_VALUE);
            return new Word1RangePartitioner(bounds.stream().mapToInt(Integer::intValue).toArray());
        }

        @Override
        public int numPartitions() {
            return upper.length;
        }

        @Override
        public int getPartition(Object key) {
            int w1 = PairCountMap.word1((Long) key);
            int lo = 0;
            int hi = upper.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (w1 <= upper[mid]) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Word1RangePartitioner p && java.util.Arrays.equals(p.upper, upper);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(upper);
        }
    }
}
