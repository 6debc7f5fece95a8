package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.preprocess.PreprocessJob;
import io.sparkbert.pipeline.preprocess.SampleDataset;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.OutputLock;
import io.sparkbert.pipeline.util.SparkProgressListener;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Corpus → BERT pretraining samples (NSP pairs + masked LM) as Parquet shards, on Spark. */
@Command(name = "preprocess", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Turn a corpus into BERT pretraining samples (docs/design.md §1, §3; the semantics of "
                + "Google's create_pretraining_data.py): WordPiece tokens, NSP sentence pairs, masked-LM positions.",
            "Writes Parquet shards, manifest.json, report.json and vocab.txt under --output. Same input, "
                + "config and seed give the same samples whatever the partitioning."})
final class PreprocessCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(PreprocessCommand.class);
    private static final long BYTES_PER_SHARD = 64L << 20;

    @Option(names = "--input", required = true, paramLabel = "PATH[,PATH...]",
            description = "Corpus files, directories or globs on any Hadoop filesystem.")
    String input;

    @Option(names = "--vocab", required = true, paramLabel = "FILE", description = "BERT vocab.txt (any Hadoop path).")
    String vocab;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "The dataset directory.")
    String output;

    @Option(names = "--format", paramLabel = "lines|jsonl", description = "Corpus format.")
    String format;

    @Option(names = "--max-seq-length", paramLabel = "N", description = "Tokens per sample.")
    int maxSeqLength;

    @Option(names = "--max-predictions", paramLabel = "N", description = "Masked positions per sample at most.")
    int maxPredictions;

    @Option(names = "--masked-lm-prob", paramLabel = "P", description = "Share of tokens to mask.")
    double maskedLmProb;

    @Option(names = "--short-seq-prob", paramLabel = "P", description = "Probability of a shorter target length.")
    double shortSeqProb;

    @Option(names = "--dupe-factor", paramLabel = "N", description = "Copies with different pairs and masks.")
    int dupeFactor;

    @Option(names = "--whole-word-mask", negatable = true, description = "Mask whole words.")
    boolean wholeWordMask;

    @Option(names = "--truncation", paramLabel = "head|tail|head+tail",
            description = "How a sentence longer than a sample is cut.")
    String truncation;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of every random choice.")
    long seed;

    @Option(names = "--cased", negatable = true, description = "Keep case and accents.")
    boolean cased;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions after parsing (0 = Spark's default).")
    int partitions;

    @Option(names = "--shards", paramLabel = "N", description = "Output shards (0 = one per ~64 MB of work).")
    int shards;

    @Option(names = "--max-line-bytes", paramLabel = "N", description = "Longer lines are dropped and counted.")
    int maxLineBytes;

    @Option(names = "--incremental", negatable = true,
            description = "Only process input files the manifest does not list yet, into new shards.")
    boolean incremental;

    @Option(names = "--overwrite", negatable = true, description = "Replace a finished dataset.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Mixin
    SparkSessions sparkOptions;

    @Override
    public Integer call() throws Exception {
        SparkBert.UserError.requireAtLeast("--partitions", partitions, 0, "0 = Spark's default");
        SparkBert.UserError.requireAtLeast("--shards", shards, 0, "0 = one per ~64 MB of work");
        Settings settings = config.settings();
        SampleConfig samples = new SampleConfig(maxSeqLength, maxPredictions, maskedLmProb, shortSeqProb, dupeFactor,
                wholeWordMask, parseTruncation(truncation), seed);
        DocumentParser.Format corpusFormat = parseFormat(format);
        if (incremental && overwrite) {
            throw new SparkBert.UserError("--incremental and --overwrite exclude each other");
        }
        String target = VocabCommand.qualify(output);
        try (OutputLock lock = OutputLocks.acquire(target)) {
            SparkSession spark = sparkOptions.start("preprocess", settings);
            SparkProgressListener progress = new SparkProgressListener(5);
            spark.sparkContext().addSparkListener(progress);
            try {
                return run(spark, samples, corpusFormat, target);
            } finally {
                spark.sparkContext().removeSparkListener(progress);
                spark.stop();
            }
        }
    }

    private int run(SparkSession spark, SampleConfig samples, DocumentParser.Format corpusFormat, String target)
            throws Exception {
        long start = System.nanoTime();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        SampleDataset dataset = new SampleDataset(target, hadoop);
        List<String> paths = CorpusPaths.split(input);
        CorpusPaths.requireExisting(paths, hadoop);
        Vocab vocabulary = readVocab(vocab, hadoop);
        Map<String, Object> runConfig = configMap(samples, corpusFormat);

        ObjectNode manifest;
        boolean incrementalRun = incremental && dataset.isFinished();
        CorpusPaths.Listing listing = CorpusPaths.list(paths, hadoop, List.of(target));
        listing.notes().forEach(note -> System.err.println("preprocess: " + note));
        List<FileStatus> files = listing.files();
        if (incrementalRun) {
            manifest = dataset.manifest();
            checkCompatible(manifest, vocabulary, runConfig);
            List<String> removed = dataset.removeLeftovers(manifest);
            if (!removed.isEmpty()) {
                LOG.warn("Removed leftovers of an interrupted run: {}", removed);
            }
            Set<String> done = SampleDataset.processedFiles(manifest);
            files = files.stream().filter(f -> !done.contains(f.getPath().toString())).toList();
            if (files.isEmpty()) {
                System.err.println("preprocess: nothing to do, every input file is already in " + target);
                return 0;
            }
            LOG.info("Incremental run: {} new file(s), {} already processed", files.size(), done.size());
        } else {
            dataset.checkFullRunAllowed(overwrite);
            manifest = SampleDataset.newManifest(runConfig, vocabulary);
        }
        if (files.isEmpty()) {
            throw new SparkBert.UserError("no input files under " + paths);
        }

        int run = manifest.withArray("runs").size() + 1;
        // Later runs draw from their own streams, so their documents do not repeat run 1's masks.
        SampleConfig runSamples = run == 1 ? samples : new SampleConfig(samples.maxSeqLength(),
                samples.maxPredictionsPerSeq(), samples.maskedLmProb(), samples.shortSeqProb(), samples.dupeFactor(),
                samples.wholeWordMask(), samples.truncation(),
                io.sparkbert.pipeline.samples.SeededRandom.seed(samples.seed(), run));
        long inputBytes = files.stream().mapToLong(FileStatus::getLen).sum();
        int shardCount = shards > 0 ? shards
                : (int) Math.max(1, Math.min(10_000, inputBytes * samples.dupeFactor() / BYTES_PER_SHARD));
        int workPartitions = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
        PreprocessJob.Options options = new PreprocessJob.Options(corpusFormat, !cased, runSamples, workPartitions,
                shardCount, maxLineBytes);
        Path staging = incrementalRun ? dataset.newIncrementalStagingDirectory() : dataset.newStagingDirectory();
        String prefix = String.format(Locale.ROOT, "part-r%04d", run);
        LOG.info("Run {}: {} file(s), {} bytes -> {} shard(s) of {}", run, files.size(), inputBytes, shardCount, target);

        List<Map<String, Object>> fileEntries = describeFiles(spark, files);
        PreprocessJob.Result result;
        try {
            result = PreprocessJob.run(spark, files, vocabulary, options, staging.toString(), prefix);
            SampleDataset.addRun(manifest, fileEntries, result.shardFiles(), result.input(), result.samples());
            Map<String, Object> report = SampleDataset.report(manifest);
            report.putAll(listing.toReport());
            if (incrementalRun) {
                dataset.commitIncrementalRun(staging, result.shardFiles(), manifest, report);
            } else {
                dataset.commitFullRun(staging, vocabulary, manifest, report, overwrite);
            }
        } catch (Exception e) {
            staging.getFileSystem(hadoop).delete(staging, true);
            throw e;
        }
        if (result.input().utf16FilesSkipped > 0) {
            System.err.println("preprocess: skipped " + result.input().utf16FilesSkipped + " UTF-16 file(s) (they start "
                    + "with a UTF-16 byte order mark): UTF-16 is not supported, convert them to UTF-8");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> stats = result.samples().toMap();
        System.err.printf(Locale.ROOT, "preprocess: %,d documents, %,d sentences -> %,d samples (IsNext %.3f, "
                        + "masked %.3f of maskable tokens, mean length %.1f) in %d shard(s), %.1f s, %.2f MB/s -> %s%n",
                result.input().documents, result.input().sentences, result.samples().samples,
                (Double) stats.get("is_next_ratio"), (Double) stats.get("masked_fraction_of_maskable_tokens"),
                (Double) stats.get("mean_real_length"), result.shardFiles().size(), seconds,
                inputBytes / 1e6 / seconds, target);
        return 0;
    }

    private static Vocab readVocab(String path, Configuration hadoop) throws Exception {
        Path p = new Path(VocabCommand.qualify(path));
        FileSystem fs = p.getFileSystem(hadoop);
        if (!fs.exists(p)) {
            throw new io.sparkbert.pipeline.tokenizer.InvalidVocabException("vocabulary file not found: " + path);
        }
        try (InputStream in = fs.open(p)) {
            return Vocab.read(in, path);
        }
    }

    private Map<String, Object> configMap(SampleConfig samples, DocumentParser.Format corpusFormat) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("format", corpusFormat.name().toLowerCase(Locale.ROOT));
        map.put("cased", cased);
        map.put("max_seq_length", samples.maxSeqLength());
        map.put("max_predictions_per_seq", samples.maxPredictionsPerSeq());
        map.put("masked_lm_prob", samples.maskedLmProb());
        map.put("short_seq_prob", samples.shortSeqProb());
        map.put("dupe_factor", samples.dupeFactor());
        map.put("whole_word_mask", samples.wholeWordMask());
        map.put("truncation", samples.truncation().name().toLowerCase(Locale.ROOT).replace('_', '+'));
        map.put("seed", samples.seed());
        map.put("max_line_bytes", maxLineBytes);
        return map;
    }

    /** An incremental run must make samples the same way as the runs before it. */
    private static void checkCompatible(ObjectNode manifest, Vocab vocab, Map<String, Object> config) {
        String recorded = manifest.path("vocab").path("sha256").asText();
        if (!recorded.equals(vocab.sha256())) {
            throw new SparkBert.UserError("the vocabulary differs from the one the dataset was made with (sha256 "
                    + vocab.sha256() + ", manifest " + recorded + "); use the same vocab.txt or a new output");
        }
        JsonNode previous = manifest.path("config");
        List<String> differences = new ArrayList<>();
        config.forEach((key, value) -> {
            if (!previous.path(key).asText().equals(String.valueOf(value))) {
                differences.add(key + " " + value + " (manifest: " + previous.path(key).asText() + ")");
            }
        });
        if (!differences.isEmpty()) {
            throw new SparkBert.UserError("the settings differ from the dataset's: " + String.join(", ", differences));
        }
    }

    /** Path, size, modification time and SHA-256 of each input file (checksums computed on the cluster). */
    private static List<Map<String, Object>> describeFiles(SparkSession spark, List<FileStatus> files) {
        List<String> paths = files.stream().map(f -> f.getPath().toString()).toList();
        Map<String, String> checksums = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(paths, Math.max(1, Math.min(paths.size(), 64)))
                .mapToPair(path -> new scala.Tuple2<>(path, sha256(path)))
                .collectAsMap();
        List<Map<String, Object>> entries = new ArrayList<>();
        for (FileStatus file : files) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("path", file.getPath().toString());
            entry.put("size", file.getLen());
            entry.put("modified", file.getModificationTime());
            entry.put("sha256", checksums.get(file.getPath().toString()));
            entries.add(entry);
        }
        return entries;
    }

    private static String sha256(String path) throws Exception {
        Path p = new Path(path);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = p.getFileSystem(new Configuration()).open(p)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static SampleConfig.Truncation parseTruncation(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "head" -> SampleConfig.Truncation.HEAD;
            case "tail" -> SampleConfig.Truncation.TAIL;
            case "head+tail", "head_tail" -> SampleConfig.Truncation.HEAD_TAIL;
            default -> throw new SparkBert.UserError("--truncation must be head, tail or head+tail: " + value);
        };
    }

    static DocumentParser.Format parseFormat(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "lines" -> DocumentParser.Format.LINES;
            case "jsonl" -> DocumentParser.Format.JSONL;
            default -> throw new SparkBert.UserError("--format must be lines or jsonl: " + value);
        };
    }
}
