package io.sparkbert.pipeline.vocab;

import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.corpus.ListedTextInputFormat;
import io.sparkbert.pipeline.text.LenientUtf8Decoder;
import io.sparkbert.pipeline.tokenizer.BertNormalizer;
import io.sparkbert.pipeline.tokenizer.BertPreTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.tokenizer.WordPiece;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The Spark half of vocabulary learning: counts the normalised, pre-tokenised words of a corpus on
 * the executors (combining within each partition before the shuffle), and brings the driver only
 * what {@link WordPieceTrainer} needs: the words seen at least {@code minCount} times, the count of
 * every character in the whole corpus, and the corpus statistics. The counts stay cached on the
 * executors until {@link #close()}, so a learned vocabulary can be scored on the whole corpus.
 *
 * <p>The statistics travel through the same reduce as the words, under keys that start with a
 * space: a space never occurs inside a word, so they cannot collide, and unlike accumulators they
 * stay exact when Spark re-runs a task.
 */
public final class CorpusWordCounts implements AutoCloseable {
    private static final String LINES = " lines";
    private static final String WORDS = " words";
    private static final String INVALID_UTF8 = " invalid_utf8_sequences";

    /** Corpus statistics. */
    public record Stats(int files, long bytes, long lines, long words, long distinctWords,
                        long invalidUtf8Sequences) {
    }

    /** How well a vocabulary covers the corpus: its wordpieces per word and share of [UNK] pieces. */
    public record Coverage(long words, long wordPieces, long unknownPieces) {
        public double wordPiecesPerWord() {
            return words == 0 ? 0 : (double) wordPieces / words;
        }

        public double unknownRate() {
            return wordPieces == 0 ? 0 : (double) unknownPieces / wordPieces;
        }
    }

    /** Words and statistics keys, cached. */
    private final JavaPairRDD<String, Long> counts;
    private final JavaPairRDD<String, Long> words;
    private final Stats stats;
    private final CorpusPaths.Listing listing;
    private final List<String> notTextFiles;

    private CorpusWordCounts(JavaPairRDD<String, Long> counts, JavaPairRDD<String, Long> words, Stats stats,
                             CorpusPaths.Listing listing, List<String> notTextFiles) {
        this.notTextFiles = notTextFiles;
        this.counts = counts;
        this.words = words;
        this.stats = stats;
        this.listing = listing;
    }

    /** Counts the words of every file under {@code paths} (files, directories, globs). */
    public static CorpusWordCounts count(JavaSparkContext spark, List<String> paths, boolean uncased,
                                         int partitions) {
        return count(spark, paths, uncased, partitions, List.of());
    }

    /**
     * Counts the words of every file under {@code paths}, leaving out the job's own {@code outputs} if they lie under
     * an input directory (see {@link CorpusPaths#list}).
     */
    public static CorpusWordCounts count(JavaSparkContext spark, List<String> paths, boolean uncased,
                                         int partitions, List<String> outputs) {
        CorpusPaths.requireExisting(paths, spark.hadoopConfiguration());
        CorpusPaths.Listing listing = CorpusPaths.list(paths, spark.hadoopConfiguration(), outputs);
        List<FileStatus> files = new ArrayList<>();
        List<String> notText = new ArrayList<>();
        for (FileStatus file : listing.files()) { // binary input would fill the vocabulary with its bytes
            String reason = CorpusPaths.notText(file, spark.hadoopConfiguration());
            if (reason == null) {
                files.add(file);
            } else {
                notText.add(file.getPath() + " (" + reason + ")");
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no text input files under " + paths
                    + (notText.isEmpty() ? "" : "; skipped " + String.join(", ", notText)));
        }
        String inputs = files.stream().map(f -> f.getPath().toString()).collect(Collectors.joining(","));
        JavaPairRDD<LongWritable, Text> lines = spark.hadoopFile(inputs, ListedTextInputFormat.class,
                LongWritable.class, Text.class, Math.max(1, partitions));
        BertNormalizer normalizer = new BertNormalizer(uncased);
        BertPreTokenizer preTokenizer = new BertPreTokenizer();

        JavaPairRDD<String, Long> counts = lines
                .mapPartitionsToPair(records -> countPartition(records, normalizer, preTokenizer))
                .reduceByKey(Long::sum)
                .cache();
        Map<String, Long> totals = counts.filter(kv -> kv._1.startsWith(" ")).collectAsMap();
        JavaPairRDD<String, Long> words = counts.filter(kv -> !kv._1.startsWith(" "));
        Stats stats = new Stats(files.size(), files.stream().mapToLong(FileStatus::getLen).sum(),
                totals.getOrDefault(LINES, 0L), totals.getOrDefault(WORDS, 0L), words.count(),
                totals.getOrDefault(INVALID_UTF8, 0L));
        return new CorpusWordCounts(counts, words, stats, listing, notText);
    }

    /** The files skipped as binary or UTF-16, each with the reason. */
    public List<String> notTextFilesSkipped() {
        return notTextFiles;
    }

    /** Which files were read, and which were left out and why. */
    public CorpusPaths.Listing listing() {
        return listing;
    }

    public Stats stats() {
        return stats;
    }

    /** The count of every character (code point) in the corpus. */
    public Map<Integer, Long> characterCounts() {
        return new HashMap<>(words
                .flatMapToPair(kv -> kv._1.codePoints().mapToObj(c -> new Tuple2<>(c, kv._2)).iterator())
                .reduceByKey(Long::sum)
                .collectAsMap());
    }

    /** The words seen at least {@code minCount} times, with their counts. */
    public Map<String, Long> wordsSeenAtLeast(long minCount) {
        return new HashMap<>(words.filter(kv -> kv._2 >= minCount).collectAsMap());
    }

    /** Tokenizes every word of the corpus with {@code vocab} (on the executors) and sums up. */
    public Coverage coverage(Vocab vocab) {
        JavaSparkContext spark = JavaSparkContext.fromSparkContext(words.context());
        Broadcast<WordPiece> wordPiece = spark.broadcast(new WordPiece(vocab));
        int unkId = vocab.unkId();
        long[] sums = words.map(kv -> {
            IntList ids = new IntList();
            wordPiece.value().encode(kv._1, 0, kv._1.length(), ids);
            long unknown = 0;
            for (int i = 0; i < ids.size(); i++) {
                if (ids.get(i) == unkId) {
                    unknown++;
                }
            }
            return new long[] {kv._2, kv._2 * ids.size(), kv._2 * unknown};
        }).fold(new long[3], (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
        wordPiece.destroy();
        return new Coverage(sums[0], sums[1], sums[2]);
    }

    @Override
    public void close() {
        counts.unpersist();
    }

    private static Iterator<Tuple2<String, Long>> countPartition(Iterator<Tuple2<LongWritable, Text>> records,
                                                               BertNormalizer normalizer,
                                                               BertPreTokenizer preTokenizer) {
        LenientUtf8Decoder decoder = new LenientUtf8Decoder();
        Map<String, long[]> local = new HashMap<>();
        StringBuilder normalized = new StringBuilder();
        long lineCount = 0;
        long[] wordCount = {0};
        while (records.hasNext()) {
            Text line = records.next()._2;
            lineCount++;
            normalizer.normalize(decoder.decode(line.getBytes(), 0, line.getLength()), normalized);
            preTokenizer.split(normalized, (text, start, end) -> {
                wordCount[0]++;
                local.computeIfAbsent(text.subSequence(start, end).toString(), w -> new long[1])[0]++;
            });
        }
        List<Tuple2<String, Long>> out = new ArrayList<>(local.size() + 3);
        local.forEach((word, n) -> out.add(new Tuple2<>(word, n[0])));
        out.add(new Tuple2<>(LINES, lineCount));
        out.add(new Tuple2<>(WORDS, wordCount[0]));
        out.add(new Tuple2<>(INVALID_UTF8, decoder.invalidSequences()));
        return out.iterator();
    }
}
