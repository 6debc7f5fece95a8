package io.sparkbert.pipeline.glove;

import io.sparkbert.pipeline.text.LenientUtf8Decoder;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.io.Text;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * GloVe's vocab_count + cooccur on Spark (docs/design.md §4). The corpus is read and split into words
 * once ({@link TokenizedSplit}, cached in memory between the passes); two passes over it, one shuffle:
 * <ol>
 *   <li>word counts: each split's words were counted in a byte-keyed table ({@link WordTable}) as it was
 *       read, the counts are reduced on the cluster, only the vocabulary reaches the driver;</li>
 *   <li>co-occurrences: each task sums its pairs in {@link MapSidePairs} (cooccur.c's dense table of
 *       frequent pairs, plus a bounded buffer that is sorted, combined and handed on when full) and sends
 *       sorted, encoded chunks of partial sums to ranges of word1 (ranges balanced by the words' counts,
 *       so deterministic); each range's task merges them in bounded memory ({@link RangeMerger}, which
 *       spills sorted runs to local disk when they do not fit) and writes its part of
 *       {@code cooccurrence.bin} and of {@code cooccurrence.parquet} directly.</li>
 * </ol>
 * The output is GloVe's record order and the same bytes whatever the partitioning (sums are exact
 * integers); nothing of the matrix is collected on the driver, which only concatenates the binary parts.
 * The passes are written once against {@link CorpusSplits}: on Spark ({@link #run}), or, for a small corpus on
 * the local filesystem, on the driver's own threads without a Spark session ({@link #runInDriver}), with the
 * same outputs byte for byte.
 */
public final class CooccurrenceJob {
    private static final Logger LOG = LoggerFactory.getLogger(CooccurrenceJob.class);
    /** The token GloVe reserves for the averaged unknown vector; vocab_count refuses corpora containing it. */
    public static final String UNK = "<unk>";
    private static final String STAT_PREFIX = " ";
    private static final byte[] UNK_BYTES = UNK.getBytes(StandardCharsets.ISO_8859_1);
    /** Share of a task's share of the heap used for its pair tables. */
    private static final double HEAP_SHARE = 0.3;

    public enum Tokens { WHITESPACE, WORDPIECE }

    /**
     * @param denseCells  cells (4 bytes each) of a task's dense table of frequent pairs (upper bound)
     * @param mapSidePairs other increments a task buffers before sorting and handing them on (upper bound)
     * @param reduceBytes bytes of encoded partial sums an output task holds before merging them into a sorted
     *                    run on local disk (0 = its share of the heap)
     */
    public record Options(int window, boolean symmetric, boolean distanceWeighting, long minCount, long maxVocab,
                          Tokens tokens, boolean uncased, int partitions, int shards, long denseCells,
                          int mapSidePairs, long reduceBytes)
            implements Serializable {
    }

    /** Input counts (as in report.json). */
    public record InputCounts(long files, long bytes, long lines, long tokens, long unkTokensSkipped,
                              long linesWithInvalidUtf8, long wordsTruncated) implements Serializable {
    }

    /** @param runner where the passes ran: {@code spark (MASTER)} or {@code driver (N threads)} */
    public record Result(GloveVocabulary vocabulary, InputCounts input, long nonZeroPairs, double totalWeight,
                         long inVocabTokens, List<String> parquetParts, String runner) {
        /**
         * The run's report.json: the input paths as given, {@code listing} (what listing the inputs found:
         * duplicates, skipped side files), the counts, the options and the time taken.
         */
        public Map<String, Object> report(List<String> paths, Map<String, Object> listing, Options options,
                                          double seconds) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("input", paths);
            report.put("files", input.files());
            report.putAll(listing);
            report.put("bytes", input.bytes());
            report.put("lines", input.lines());
            report.put("tokens", input.tokens());
            report.put("in_vocab_tokens", inVocabTokens);
            report.put("vocab_size", vocabulary.size());
            report.put("non_zero_pairs", nonZeroPairs);
            report.put("total_weight", totalWeight);
            report.put("unk_tokens_skipped", input.unkTokensSkipped());
            report.put("lines_with_invalid_utf8", input.linesWithInvalidUtf8());
            report.put("words_truncated_at_999_bytes", input.wordsTruncated());
            report.put("window", options.window());
            report.put("symmetric", options.symmetric());
            report.put("distance_weighting", options.distanceWeighting());
            report.put("min_count", options.minCount());
            report.put("max_vocab", options.maxVocab());
            report.put("tokens_mode", options.tokens().name().toLowerCase(java.util.Locale.ROOT));
            report.put("counted_on", runner);
            report.put("seconds", seconds);
            report.put("tokens_per_sec", input.tokens() / seconds);
            return report;
        }

        /** The one-line summary the command prints. */
        public String summary(double seconds) {
            return String.format(java.util.Locale.ROOT, "%,d tokens in %,d lines, vocabulary of %,d, %,d non-zero "
                            + "pairs, total weight %.1f, %.1f s, %,.0f tokens/s, %,.0f pairs/s, counted on %s",
                    input.tokens(), input.lines(), vocabulary.size(), nonZeroPairs, totalWeight, seconds,
                    input.tokens() / seconds, nonZeroPairs / seconds, runner);
        }
    }

    /** What one output range wrote. */
    private record RangeSummary(int range, long pairs, long units, int spilledRuns) implements Serializable {
    }

    private CooccurrenceJob() {
    }

    /**
     * Writes {@code vocab.txt}, {@code cooccurrence.bin} and {@code cooccurrence.parquet} into
     * {@code dir} (an empty staging directory), counting on Spark.
     */
    public static Result run(SparkSession spark, List<FileStatus> files, Vocab wordPieces, Options options,
                             String dir) throws IOException {
        long started = System.nanoTime();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        try (CorpusSplits splits = new SparkCorpusSplits(sc, files, lineWords(wordPieces, options),
                options.partitions())) {
            return run(splits, files, options, dir, started);
        }
    }

    /**
     * The same outputs, byte for byte, counted by {@code threads} threads of this JVM without Spark: for a small
     * corpus, where a Spark session's start-up and per-task costs outweigh the counting. Every partial sum is
     * held in memory between the passes, so the corpus must be small next to the heap.
     */
    public static Result runInDriver(Configuration hadoop, int threads, List<FileStatus> files, Vocab wordPieces,
                                     Options options, String dir) throws IOException {
        long started = System.nanoTime();
        try (CorpusSplits splits = new DriverCorpusSplits(hadoop, files, lineWords(wordPieces, options), threads,
                options.partitions())) {
            return run(splits, files, options, dir, started);
        }
    }

    private static LineWords lineWords(Vocab wordPieces, Options options) {
        return new LineWords(options.tokens(), wordPieces == null ? null : new BertTokenizer(wordPieces,
                options.uncased()));
    }

    /**
     * The configuration the corpus is read with: lines end at '\n', "\r\n" or a lone '\r' (Hadoop's default
     * reader; GloVe's C tools end them at '\n' only and drop every '\r', which glues the last word of a lone-CR
     * line to the first of the next), and input splits of equal size, at least {@code wanted} of them (Hadoop's
     * default of one per 32 MB block gives a 39 MB file a 32 MB and a 7 MB task, and one core waits for the other).
     */
    static Configuration inputConfiguration(Configuration base, List<FileStatus> files, int wanted) {
        Configuration hadoop = new Configuration(base);
        hadoop.unset("textinputformat.record.delimiter");
        long totalBytes = files.stream().mapToLong(FileStatus::getLen).sum();
        hadoop.setLong("mapreduce.input.fileinputformat.split.maxsize",
                Math.max(1 << 16, Math.min(128L << 20, (totalBytes + wanted - 1) / wanted)));
        return hadoop;
    }

    private static Result run(CorpusSplits splits, List<FileStatus> files, Options options, String dir,
                              long started) throws IOException {
        LOG.info("Counting on {}: {} input split(s)", splits.runner(), splits.splitCount());

        // pass 1: vocabulary
        // (each task's counts travel as one encoded blob per reducer, not as a record per word)
        long minCount = options.minCount();
        int reducers = splits.parallelism();
        List<Tuple2<String, Long>> counted = splits.mapAndReduce(split -> countWords(split, reducers), reducers,
                (partition, blobs) -> sumWordCounts(blobs, minCount));
        Map<String, Long> wordCounts = new HashMap<>();
        Map<String, Long> stats = new HashMap<>();
        counted.forEach(kv -> (kv._1.startsWith(STAT_PREFIX) ? stats : wordCounts).merge(kv._1, kv._2, Long::sum));
        GloveVocabulary vocabulary = GloveVocabulary.build(wordCounts, options.minCount(), options.maxVocab());
        InputCounts input = new InputCounts(files.size(), files.stream().mapToLong(FileStatus::getLen).sum(),
                stats.getOrDefault(" lines", 0L), stats.getOrDefault(" tokens", 0L), stats.getOrDefault(" unk", 0L),
                stats.getOrDefault(" invalid_utf8_lines", 0L), stats.getOrDefault(" truncated", 0L));
        if (vocabulary.size() == 0) {
            throw new IllegalArgumentException("no word occurs at least " + options.minCount() + " times in "
                    + input.tokens() + " tokens");
        }
        LOG.info("Vocabulary: {} words (min count {}) from {} tokens in {} lines ({} s)", vocabulary.size(),
                options.minCount(), input.tokens(), input.lines(), seconds(started));
        writeVocabulary(vocabulary, new Path(dir, "vocab.txt"), splits.hadoop());

        // pass 2: co-occurrences, combined per task in bounded memory, one shuffle of sorted chunks
        CooccurrenceWindow window = new CooccurrenceWindow(options.window(), options.symmetric(),
                options.distanceWeighting());
        int vocabSize = vocabulary.size();
        String[] words = new String[vocabSize];
        long[] weightPerWord = new long[vocabSize + 2];
        for (int id = 1; id <= vocabSize; id++) {
            words[id - 1] = vocabulary.entry(id).word();
            // about the distinct pairs of word1 = id: its increments, at most one per vocabulary word
            weightPerWord[id] = Math.min(vocabulary.entry(id).count() * 2 * options.window(), vocabSize);
        }
        CorpusSplits.SharedValue<String[]> vocabWords = splits.share(words);
        // several ranges per core, so that unequal ranges even out
        int shards = options.shards() > 0 ? options.shards()
                : (int) Math.max(4L * splits.parallelism(), Math.min(1000, (input.bytes() + (8 << 20) - 1) / (8 << 20)));
        int[] rangeUpper = balancedRanges(weightPerWord, shards, vocabSize);
        int ranges = rangeUpper.length;
        long denseCells = options.denseCells();
        int mapSidePairs = options.mapSidePairs();
        long reduceBytes = options.reduceBytes();
        int w2Bits = PairRuns.idBits(vocabSize);
        double scale = window.scale();
        String binParts = new Path(dir, "_bin").toString();
        String parquet = new Path(dir, "cooccurrence.parquet").toString();
        SerializableConfiguration conf = new SerializableConfiguration(splits.hadoop());
        List<RangeSummary> summaries = splits.mapAndReduce(split -> new PairChunks(split,
                        WordTable.of(vocabWords.get()), vocabSize, window, rangeUpper, denseCells, mapSidePairs), ranges,
                (index, chunks) -> writeRange(index, chunks, rangeUpper, w2Bits, vocabSize, reduceBytes, scale,
                        binParts, parquet, conf));
        long nonZeros = 0;
        long totalUnits = 0;
        int spilled = 0;
        for (RangeSummary summary : summaries) {
            nonZeros += summary.pairs();
            totalUnits = Math.addExact(totalUnits, summary.units());
            spilled += summary.spilledRuns();
        }
        LOG.info("Co-occurrences: {} non-zero pairs in {} ranges ({} sorted runs spilled) ({} s)", nonZeros, ranges,
                spilled, seconds(started));
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < ranges; i++) {
            parts.add(partName(i, ".parquet"));
        }
        deleteSideFiles(parquet, splits.hadoop());
        concatenate(binParts, ranges, new Path(dir, "cooccurrence.bin"), splits.hadoop());
        long inVocab = 0;
        for (GloveVocabulary.Entry entry : vocabulary.entries()) {
            inVocab += entry.count();
        }
        LOG.info("Outputs written ({} s)", seconds(started));
        return new Result(vocabulary, input, nonZeros, totalUnits / scale, inVocab, parts, splits.runner());
    }

    private static String seconds(long since) {
        return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - since) / 1e9);
    }

    private static String partName(int index, String suffix) {
        return String.format("part-%05d%s", index, suffix);
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

        /**
         * Hands the words of a line to {@code visitor} (invalid UTF-8 replaced by U+FFFD, NUL bytes removed);
         * returns whether its bytes were valid UTF-8.
         */
        boolean words(Text line, GloveWords.WordVisitor visitor, LenientUtf8Decoder decoder, IntList scratch,
                      boolean checkUtf8) {
            long invalidBefore = decoder.invalidSequences();
            if (mode == Tokens.WHITESPACE) {
                if (!hasHighOrNulBytes(line)) { // nearly always: the bytes are GloVe's words as they are
                    GloveWords.forEachWord(line.getBytes(), line.getLength(), visitor);
                } else {
                    // invalid UTF-8 becomes U+FFFD and NUL (a C string's end) goes, as everywhere else, so that
                    // vocab.txt is text; valid UTF-8 without NUL keeps its bytes
                    String text = decoder.decode(line.getBytes(), 0, line.getLength());
                    byte[] clean = decoder.invalidSequences() == invalidBefore && text.indexOf('\0') < 0
                            ? line.getBytes() : text.replace("\0", "").getBytes(StandardCharsets.UTF_8);
                    int length = clean == line.getBytes() ? line.getLength() : clean.length;
                    GloveWords.forEachWord(clean, length, visitor);
                }
            } else {
                String text = decoder.decode(line.getBytes(), 0, line.getLength());
                scratch.clear();
                tokenizer.encode(text, scratch);
                for (int i = 0; i < scratch.size(); i++) {
                    byte[] piece = tokenizer.vocab().token(scratch.get(i)).getBytes(StandardCharsets.UTF_8);
                    visitor.word(piece, 0, piece.length);
                }
            }
            return decoder.invalidSequences() == invalidBefore;
        }

        private static boolean hasHighOrNulBytes(Text line) {
            byte[] bytes = line.getBytes();
            for (int i = 0; i < line.getLength(); i++) {
                if (bytes[i] <= 0) {
                    return true;
                }
            }
            return false;
        }
    }

    static boolean isUnk(byte[] bytes, int offset, int length) {
        return length == UNK_BYTES.length
                && java.util.Arrays.equals(bytes, offset, offset + length, UNK_BYTES, 0, length);
    }

    private static final String[] STATS = {" lines", " tokens", " unk", " invalid_utf8_lines", " truncated"};

    /** A split's word counts and input statistics, as one blob per reducer (words split by their hash). */
    private static Iterator<Tuple2<Integer, byte[]>> countWords(TokenizedSplit split, int reducers) {
        WordTable counts = split.words();
        long[] stat = split.stats(); // lines, tokens, unk, invalid, truncated
        WordBlob[] blobs = new WordBlob[reducers];
        for (int r = 0; r < reducers; r++) {
            blobs[r] = new WordBlob();
        }
        for (long s : stat) {
            blobs[0].putLong(s);
        }
        for (int i = 0; i < counts.size(); i++) {
            blobs[Math.floorMod(counts.hash(i), reducers)].putWord(counts, i);
        }
        List<Tuple2<Integer, byte[]>> out = new ArrayList<>(reducers);
        for (int r = 0; r < reducers; r++) {
            out.add(new Tuple2<>(r, blobs[r].bytes()));
        }
        return out.iterator();
    }

    /** One reducer's share of the word counts: the words seen at least minCount times, and the statistics. */
    private static Iterator<Tuple2<String, Long>> sumWordCounts(Iterator<Tuple2<Integer, byte[]>> blobs,
                                                                long minCount) {
        WordTable counts = new WordTable();
        long[] stat = new long[STATS.length];
        while (blobs.hasNext()) {
            Tuple2<Integer, byte[]> blob = blobs.next();
            WordBlob.read(blob._2, blob._1 == 0 ? stat : null, counts);
        }
        List<Tuple2<String, Long>> out = new ArrayList<>();
        for (int i = 0; i < counts.size(); i++) {
            if (counts.count(i) >= minCount) {
                out.add(new Tuple2<>(counts.word(i), counts.count(i)));
            }
        }
        for (int s = 0; s < STATS.length; s++) {
            out.add(new Tuple2<>(STATS[s], stat[s]));
        }
        return out.iterator();
    }

    /** Words and counts as varint-prefixed bytes. */
    private static final class WordBlob {
        private byte[] bytes = new byte[1 << 12];
        private int size;

        void putLong(long value) {
            ensure(10);
            size = PairRuns.putVarLong(bytes, size, value);
        }

        void putWord(WordTable table, int index) {
            int length = table.length(index);
            ensure(length + 20);
            size = PairRuns.putVarLong(bytes, size, length);
            size = table.copyWord(index, bytes, size);
            size = PairRuns.putVarLong(bytes, size, table.count(index));
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        byte[] bytes() {
            return java.util.Arrays.copyOf(bytes, size);
        }

        /** Adds a blob's words to {@code counts}; its statistics to {@code stat} when it has them. */
        static void read(byte[] blob, long[] stat, WordTable counts) {
            int[] position = {0};
            if (stat != null) {
                for (int s = 0; s < stat.length; s++) {
                    stat[s] += PairRuns.getVarLong(blob, position);
                }
            }
            while (position[0] < blob.length) {
                int length = (int) PairRuns.getVarLong(blob, position);
                int start = position[0];
                position[0] += length;
                counts.add(blob, start, length, PairRuns.getVarLong(blob, position));
            }
        }
    }

    /** This executor's concurrent tasks (cores per executor, or the local master's threads). */
    private static int taskSlots() {
        SparkEnv env = SparkEnv.get();
        int cores = Runtime.getRuntime().availableProcessors();
        if (env == null) {
            return cores;
        }
        String master = env.conf().get("spark.master", "");
        if (master.startsWith("local[") && !master.startsWith("local[*")) {
            String n = master.substring(6, master.indexOf(master.contains(",") ? ',' : ']'));
            try {
                return Math.max(1, Integer.parseInt(n.trim()));
            } catch (NumberFormatException e) {
                return cores;
            }
        }
        return Math.max(1, Math.min(cores, env.conf().getInt("spark.executor.cores", cores)));
    }

    /** Bytes of heap a task may give its pair tables. */
    private static long taskBudget() {
        return (long) (Runtime.getRuntime().maxMemory() * HEAP_SHARE / taskSlots());
    }

    /** A tokenized split in, sorted chunks of partial pair sums out, keyed by output range. */
    private static final class PairChunks implements Iterator<Tuple2<Integer, byte[]>> {
        private final TokenizedSplit split;
        private final int[] ids;
        private final CooccurrenceWindow window;
        private final MapSidePairs counts;
        private final ArrayDeque<MapSidePairs.Chunk> pending = new ArrayDeque<>();
        private int[] scratch = new int[256];
        private int line;
        private boolean finished;

        PairChunks(TokenizedSplit split, WordTable vocabulary, int vocabSize, CooccurrenceWindow window,
                   int[] rangeUpper, long denseCells, int mapSidePairs) {
            this.split = split;
            this.ids = split.toIds(vocabulary);
            this.window = window;
            long budget = taskBudget();
            // a third of the budget for the dense table, the rest for the buffer (32 bytes an increment); and no
            // more cells than the split has increments (a token pairs with at most `window` earlier ones): a
            // larger table is zeroed and read out whole for cells no increment can reach
            long increments = (long) split.tokenCount() * window.window();
            long cells = Math.max(vocabSize, Math.min(Math.min(denseCells, increments), budget / 3 / 4));
            int buffer = (int) Math.max(1024, Math.min(mapSidePairs, (budget - cells * 4) / 32));
            this.counts = new MapSidePairs(vocabSize, window.symmetric(), cells, buffer, rangeUpper, pending::add);
        }

        private void fill() {
            while (pending.isEmpty() && !finished) {
                if (line == split.lines()) {
                    counts.finish();
                    finished = true;
                    return;
                }
                // counts mirrors symmetric pairs itself
                scratch = split.countLine(line++, ids, window, counts, scratch);
            }
        }

        @Override
        public boolean hasNext() {
            fill();
            return !pending.isEmpty();
        }

        @Override
        public Tuple2<Integer, byte[]> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            MapSidePairs.Chunk chunk = pending.poll();
            return new Tuple2<>(chunk.range(), chunk.bytes());
        }
    }

    /** Ranges of word1 holding about the same weight each; element i is the last word1 of range i. */
    static int[] balancedRanges(long[] weightPerWord, int shards, int vocabSize) {
        long total = 0;
        for (long n : weightPerWord) {
            total += n;
        }
        List<Integer> bounds = new ArrayList<>();
        long running = 0;
        long perShard = Math.max(1, (total + shards - 1) / shards);
        for (int w = 0; w < weightPerWord.length && w < vocabSize; w++) {
            running += weightPerWord[w];
            if (running >= perShard * (bounds.size() + 1) && bounds.size() < shards - 1) {
                bounds.add(w);
            }
        }
        bounds.add(Integer.MAX_VALUE);
        return bounds.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Adds up one range's partial sums and writes its GloVe records and Parquet rows. A retried task
     * rewrites its parts from the start.
     */
    private static Iterator<RangeSummary> writeRange(int index, Iterator<Tuple2<Integer, byte[]>> chunks,
                                                     int[] rangeUpper, int w2Bits, int vocabSize, long reduceBytes,
                                                     double scale, String binDir, String parquetDir,
                                                     SerializableConfiguration conf) throws IOException {
        long started = System.nanoTime();
        long first = index == 0 ? 0 : (long) (rangeUpper[index - 1] + 1) << w2Bits;
        long last = ((long) Math.min(rangeUpper[index], vocabSize) << w2Bits) | ((1L << w2Bits) - 1);
        long capacity = reduceBytes > 0 ? reduceBytes : Math.max(1 << 20, taskBudget());
        RangeMerger merger = new RangeMerger(first, last, capacity, CooccurrenceJob::spillFile);
        while (chunks.hasNext()) {
            Tuple2<Integer, byte[]> chunk = chunks.next();
            if (chunk._1 != index) {
                throw new IllegalStateException("chunk of range " + chunk._1 + " in partition " + index);
            }
            merger.add(chunk._2);
        }
        int spilled = merger.spilledRuns();
        Path bin = new Path(binDir, partName(index, ".bin"));
        Path parquet = new Path(parquetDir, partName(index, ".parquet"));
        FileSystem fs = rawFileSystem(bin, conf.value());
        long mask = (1L << w2Bits) - 1;
        long[] totals = new long[1];
        long pairs;
        ByteBuffer records = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN); // GloveOutput's way
        try (OutputStream out = fs.create(bin, true);
             PairParquetWriter rows = new PairParquetWriter(new BufferedOutputStream(fs.create(parquet, true),
                     1 << 20))) {
            pairs = merger.finish((key, units) -> {
                int w1 = (int) (key >>> w2Bits);
                int w2 = (int) (key & mask);
                double value = units / scale;
                totals[0] = Math.addExact(totals[0], units);
                if (!records.hasRemaining()) {
                    out.write(records.array(), 0, records.position());
                    records.clear();
                }
                records.putInt(w1).putInt(w2).putDouble(value);
                rows.write(w1, w2, value);
            });
            out.write(records.array(), 0, records.position());
        }
        LOG.info("Range {}: {} pairs, {} sorted runs spilled, {} s", index, pairs, spilled, seconds(started));
        return List.of(new RangeSummary(index, pairs, totals[0], spilled)).iterator();
    }

    /** A scratch file in Spark's local directories (removed with them), for a spilled sorted run. */
    private static File spillFile() {
        try {
            SparkEnv env = SparkEnv.get();
            if (env != null) {
                return env.blockManager().diskBlockManager().createTempLocalBlock()._2();
            }
            File file = File.createTempFile("cooccur-run", ".bin");
            file.deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static FileSystem rawFileSystem(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }

    /** Removes the checksum side files the Parquet writer leaves on a local filesystem. */
    private static void deleteSideFiles(String dir, Configuration conf) throws IOException {
        Path path = new Path(dir);
        FileSystem fs = rawFileSystem(path, conf);
        for (FileStatus status : fs.listStatus(path)) {
            String name = status.getPath().getName();
            if (!(name.startsWith("part-") && name.endsWith(".parquet"))) {
                fs.delete(status.getPath(), false);
            }
        }
    }

    /** Joins the binary parts, in range order, into GloVe's single cooccurrence file. */
    private static void concatenate(String partsDir, int parts, Path target, Configuration conf) throws IOException {
        Path dir = new Path(partsDir);
        FileSystem fs = rawFileSystem(dir, conf);
        if (fs instanceof RawLocalFileSystem local) { // in-kernel copies
            try (FileChannel out = FileChannel.open(local.pathToFile(target).toPath(), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                for (int i = 0; i < parts; i++) {
                    File part = local.pathToFile(new Path(dir, partName(i, ".bin")));
                    if (!part.exists()) {
                        continue;
                    }
                    try (FileChannel in = FileChannel.open(part.toPath(), StandardOpenOption.READ)) {
                        long size = in.size();
                        for (long done = 0; done < size; ) {
                            done += in.transferTo(done, size - done, out);
                        }
                    }
                }
            }
        } else {
            try (OutputStream out = new BufferedOutputStream(fs.create(target, false), 1 << 20)) {
                byte[] buffer = new byte[1 << 20];
                for (int i = 0; i < parts; i++) {
                    Path part = new Path(dir, partName(i, ".bin"));
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
        }
        fs.delete(dir, true);
    }

    private static void writeVocabulary(GloveVocabulary vocabulary, Path path, Configuration conf) throws IOException {
        FileSystem fs = rawFileSystem(path, conf);
        try (OutputStream out = fs.create(path, false)) {
            vocabulary.write(out);
        }
    }
}
