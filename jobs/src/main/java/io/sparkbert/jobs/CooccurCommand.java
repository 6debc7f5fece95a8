package io.sparkbert.jobs;

import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.glove.CooccurrenceJob;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.AtomicDirectory;
import io.sparkbert.pipeline.util.OutputLock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** GloVe's vocab_count + cooccur on Spark: the co-occurrence matrix GloVe's own tools would produce. */
@Command(name = "cooccur", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Count GloVe word co-occurrences on Spark (docs/design.md §4), exactly as Stanford GloVe's "
                + "vocab_count and cooccur do.",
            "Writes DIR/vocab.txt (\"word count\" lines), DIR/cooccurrence.bin (GloVe's records: int32 word1, int32 "
                + "word2, float64 value, little-endian, 1-based ids, sorted), DIR/cooccurrence.parquet "
                + "(word_id, context_id, value) and DIR/report.json. Stanford's shuffle and glove read the .bin "
                + "unchanged."})
final class CooccurCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, paramLabel = "PATH[,PATH...]",
            description = "Corpus files, directories or globs on any Hadoop filesystem.")
    String input;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "The output directory.")
    String output;

    @Option(names = "--window", paramLabel = "N", description = "Context words on each side (at most 20).")
    int window;

    @Option(names = "--symmetric", arity = "1", paramLabel = "true|false", description = "Right context too.")
    boolean symmetric;

    @Option(names = "--distance-weighting", arity = "1", paramLabel = "true|false", description = "Weight by 1/d.")
    boolean distanceWeighting;

    @Option(names = "--min-count", paramLabel = "N", description = "Minimum count of a vocabulary word.")
    long minCount;

    @Option(names = "--max-vocab", paramLabel = "N", description = "At most this many words (0 = no limit).")
    long maxVocab;

    @Option(names = "--tokens", paramLabel = "whitespace|wordpiece", description = "How lines become words.")
    String tokens;

    @Option(names = "--vocab", paramLabel = "FILE", description = "BERT vocab.txt, with --tokens wordpiece.")
    String vocab;

    @Option(names = "--cased", negatable = true, description = "With wordpiece tokens: keep case and accents.")
    boolean cased;

    @Option(names = "--partitions", paramLabel = "N", description = "Minimum input partitions.")
    int partitions;

    @Option(names = "--shards", paramLabel = "N", description = "Output ranges (0 = one per 8 MB of input, at least 4 per core).")
    int shards;

    @Option(names = "--dense-cells", paramLabel = "N",
            description = "Cells (4 bytes each) of a task's dense table of frequent pairs, at most.")
    long denseCells;

    @Option(names = "--map-side-pairs", paramLabel = "N",
            description = "Other increments a task buffers before sorting, combining and handing them on, at most.")
    int mapSidePairs;

    @Option(names = "--reduce-bytes", paramLabel = "N",
            description = "Bytes of encoded partial sums an output task holds before merging them into a sorted run "
                    + "on local disk (0 = its share of the heap).")
    long reduceBytes;

    @Option(names = "--overwrite", negatable = true, description = "Replace an existing output.")
    boolean overwrite;

    @Option(names = "--in-driver-max-mb", paramLabel = "MB",
            description = "With a local master, count a corpus of at most this many MB on the local filesystem in "
                    + "this JVM's threads without starting Spark (same outputs; 0 = always on Spark).")
    long inDriverMaxMb;

    @Mixin
    ConfigOption config;

    @Mixin
    SparkSessions sparkOptions;

    @Override
    public Integer call() throws Exception {
        SparkBert.UserError.requireAtLeast("--min-count", minCount, 1, "");
        SparkBert.UserError.requireAtLeast("--partitions", partitions, 0, "0 = Spark's default");
        SparkBert.UserError.requireAtLeast("--shards", shards, 0, "0 = one per 8 MB of input");
        Settings settings = config.settings();
        CooccurrenceJob.Tokens mode = switch (tokens.toLowerCase(Locale.ROOT)) {
            case "whitespace" -> CooccurrenceJob.Tokens.WHITESPACE;
            case "wordpiece" -> CooccurrenceJob.Tokens.WORDPIECE;
            default -> throw new SparkBert.UserError("--tokens must be whitespace or wordpiece: " + tokens);
        };
        if (mode == CooccurrenceJob.Tokens.WORDPIECE && vocab == null) {
            throw new SparkBert.UserError("--tokens wordpiece needs --vocab FILE");
        }
        if (window < 1 || window > 20) {
            throw new SparkBert.UserError("--window must be between 1 and 20: " + window);
        }
        CooccurrenceJob.Options options = new CooccurrenceJob.Options(window, symmetric, distanceWeighting, minCount,
                maxVocab, mode, !cased, partitions, shards, denseCells, mapSidePairs, reduceBytes);
        SparkBert.UserError.requireAtLeast("--in-driver-max-mb", inDriverMaxMb, 0, "0 = always on Spark");
        String target = VocabCommand.qualify(output);
        try (OutputLock lock = OutputLocks.acquire(target)) {
            int threads = SparkSessions.localThreads(sparkOptions.master(settings));
            if (threads > 0 && inDriverMaxMb > 0) {
                Configuration hadoop = new Configuration();
                sparkOptions.hadoopProperties("cooccur", settings).forEach(hadoop::set);
                if (onLocalFileSystem(hadoop, target)) {
                    CorpusPaths.Listing listing = listing(hadoop, target);
                    if (listing.files().stream().mapToLong(FileStatus::getLen).sum() <= inDriverMaxMb << 20) {
                        return run(hadoop, listing, options, target, (files, wordPieces, staging) ->
                                CooccurrenceJob.runInDriver(hadoop, threads, files, wordPieces, options, staging));
                    }
                }
            }
            return sparkOptions.run("cooccur", settings, true, spark -> {
                Configuration hadoop = spark.sparkContext().hadoopConfiguration();
                return run(hadoop, listing(hadoop, target), options, target, (files, wordPieces, staging) ->
                        CooccurrenceJob.run(spark, files, wordPieces, options, staging));
            });
        }
    }

    /**
     * Whether every input and the output are on the local filesystem. With a local master, such a corpus of at
     * most {@code --in-driver-max-mb} is counted in this JVM's threads without Spark, whose session alone takes
     * longer to start than such a corpus takes to count (README: GloVe co-occurrences against GloVe's C).
     */
    private boolean onLocalFileSystem(Configuration hadoop, String target) throws java.io.IOException {
        for (String path : CorpusPaths.split(input + "," + target)) {
            if (!(new Path(path).getFileSystem(hadoop) instanceof org.apache.hadoop.fs.LocalFileSystem)) {
                return false;
            }
        }
        return true;
    }

    private CorpusPaths.Listing listing(Configuration hadoop, String target) throws java.io.IOException {
        List<String> paths = CorpusPaths.split(input);
        CorpusPaths.requireExisting(paths, hadoop);
        return CorpusPaths.list(paths, hadoop, List.of(target));
    }

    /** Counts the co-occurrences of a listed corpus into a staging directory. */
    @FunctionalInterface
    private interface Counting {
        CooccurrenceJob.Result count(List<FileStatus> files, Vocab wordPieces, String staging) throws Exception;
    }

    private int run(Configuration hadoop, CorpusPaths.Listing listing, CooccurrenceJob.Options options,
                    String target, Counting counting) throws Exception {
        long start = System.nanoTime();
        AtomicDirectory directory = new AtomicDirectory(target, hadoop);
        directory.checkWritable(overwrite);
        List<String> paths = CorpusPaths.split(input);
        listing.notes().forEach(note -> System.err.println("cooccur: " + note));
        List<FileStatus> files = listing.files();
        if (files.isEmpty()) {
            throw new SparkBert.UserError("no input files under " + paths);
        }
        Vocab wordPieces = vocab == null ? null : Vocab.load(java.nio.file.Path.of(vocab));
        Path staging = directory.newStaging();
        directory.fileSystem().mkdirs(staging);
        CooccurrenceJob.Result result;
        try {
            result = counting.count(files, wordPieces, staging.toString());
            double seconds = (System.nanoTime() - start) / 1e9;
            Reports.write(new Path(staging, "report.json").toString(),
                    result.report(paths, listing.toReport(), options, seconds), false, hadoop);
            directory.commit(staging, overwrite);
            System.err.println("cooccur: " + result.summary(seconds) + " -> " + target);
            return 0;
        } catch (Exception e) {
            directory.abandon(staging);
            throw e;
        }
    }
}
