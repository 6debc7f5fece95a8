package io.sparkbert.pipeline.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.samples.SeededRandom;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of preprocessing into a dataset directory, full or incremental (docs/design.md §3): which input
 * files to process, with what seed, into how many shards, and how the result is committed.
 *
 * <ul>
 *   <li>A full run writes a new dataset (refused over a finished one unless {@code overwrite}).</li>
 *   <li>An incremental run over a finished dataset processes only the input files its manifest does not list,
 *       after checking that the vocabulary and every sample setting are the manifest's; its shards are added
 *       under the run's number ({@code part-rNNNN-…}). Run n > 1 draws from its own seed stream
 *       ({@code seed(seed, n)}), so new documents do not repeat the first run's masks.</li>
 *   <li>Shards are written to a staging directory and committed by renames (the manifest last); a failed run
 *       deletes its staging and leaves the dataset as it was.</li>
 *   <li>The manifest records each input file's path, size, modification time and SHA-256 (computed on the
 *       cluster).</li>
 * </ul>
 */
public final class PreprocessRun {
    private static final Logger LOG = LoggerFactory.getLogger(PreprocessRun.class);
    /** Shards when none are asked for: one per this much work (input bytes × dupe factor). */
    public static final long BYTES_PER_SHARD = 64L << 20;

    /**
     * What to preprocess, how, and where.
     *
     * @param partitions Spark partitions after parsing (0 = Spark's default parallelism)
     * @param shards     output shards (0 = one per {@link #BYTES_PER_SHARD} of work)
     */
    public record Request(List<String> inputs, String output, Vocab vocab, DocumentParser.Format format, boolean cased,
                          SampleConfig samples, int partitions, int shards, int maxLineBytes, boolean incremental,
                          boolean overwrite) {
        public Request {
            if (incremental && overwrite) {
                throw new IllegalArgumentException("--incremental and --overwrite exclude each other");
            }
        }
    }

    /**
     * What a run did.
     *
     * @param result     the job's statistics and shards, or null when there was nothing to do
     * @param run        the run's number in the dataset (1 for a full run)
     * @param inputBytes bytes of the files processed
     */
    public record Outcome(PreprocessJob.Result result, int run, long inputBytes) {
        public boolean nothingToDo() {
            return result == null;
        }
    }

    private PreprocessRun() {
    }

    /** Runs {@code request}; notes for the user (skipped files, nothing to do) go to {@code console}. */
    public static Outcome run(SparkSession spark, Request request, Consumer<String> console) throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        SampleDataset dataset = new SampleDataset(request.output(), hadoop);
        CorpusPaths.requireExisting(request.inputs(), hadoop);
        Map<String, Object> config = manifestConfig(request);

        CorpusPaths.Listing listing = CorpusPaths.list(request.inputs(), hadoop, List.of(request.output()));
        listing.notes().forEach(console);
        List<FileStatus> files = listing.files();
        boolean incremental = request.incremental() && dataset.isFinished();
        ObjectNode manifest;
        if (incremental) {
            manifest = dataset.manifest();
            checkCompatible(manifest, request.vocab(), config);
            List<String> removed = dataset.removeLeftovers(manifest);
            if (!removed.isEmpty()) {
                LOG.warn("Removed leftovers of an interrupted run: {}", removed);
            }
            Set<String> done = SampleDataset.processedFiles(manifest);
            files = files.stream().filter(f -> !done.contains(f.getPath().toString())).toList();
            if (files.isEmpty()) {
                console.accept("nothing to do, every input file is already in " + request.output());
                return new Outcome(null, manifest.withArray("runs").size(), 0);
            }
            LOG.info("Incremental run: {} new file(s), {} already processed", files.size(), done.size());
        } else {
            dataset.checkFullRunAllowed(request.overwrite());
            manifest = SampleDataset.newManifest(config, request.vocab());
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no input files under " + request.inputs());
        }

        int run = manifest.withArray("runs").size() + 1;
        long inputBytes = files.stream().mapToLong(FileStatus::getLen).sum();
        int shards = request.shards() > 0 ? request.shards() : (int) Math.max(1,
                Math.min(10_000, inputBytes * request.samples().dupeFactor() / BYTES_PER_SHARD));
        int partitions = request.partitions() > 0 ? request.partitions() : spark.sparkContext().defaultParallelism();
        PreprocessJob.Options options = new PreprocessJob.Options(request.format(), !request.cased(),
                samplesOfRun(request.samples(), run), partitions, shards, request.maxLineBytes());
        Path staging = incremental ? dataset.newIncrementalStagingDirectory() : dataset.newStagingDirectory();
        String prefix = String.format(Locale.ROOT, "part-r%04d", run);
        LOG.info("Run {}: {} file(s), {} bytes -> {} shard(s) of {}", run, files.size(), inputBytes, shards,
                request.output());

        List<Map<String, Object>> fileEntries = describeFiles(spark, files);
        PreprocessJob.Result result;
        try {
            result = PreprocessJob.run(spark, files, request.vocab(), options, staging.toString(), prefix);
            SampleDataset.addRun(manifest, fileEntries, result.shardFiles(), result.input(), result.samples());
            Map<String, Object> report = SampleDataset.report(manifest);
            report.putAll(listing.toReport());
            if (incremental) {
                dataset.commitIncrementalRun(staging, result.shardFiles(), manifest, report);
            } else {
                dataset.commitFullRun(staging, request.vocab(), manifest, report, request.overwrite());
            }
        } catch (Exception e) {
            staging.getFileSystem(hadoop).delete(staging, true);
            throw e;
        }
        if (result.input().utf16FilesSkipped > 0) {
            console.accept("skipped " + result.input().utf16FilesSkipped + " UTF-16 file(s) (they start with a "
                    + "UTF-16 byte order mark): UTF-16 is not supported, convert them to UTF-8");
        }
        return new Outcome(result, run, inputBytes);
    }

    /** The settings the manifest records, and an incremental run must repeat. */
    static Map<String, Object> manifestConfig(Request request) {
        SampleConfig samples = request.samples();
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("format", request.format().name().toLowerCase(Locale.ROOT));
        map.put("cased", request.cased());
        map.put("max_seq_length", samples.maxSeqLength());
        map.put("max_predictions_per_seq", samples.maxPredictionsPerSeq());
        map.put("masked_lm_prob", samples.maskedLmProb());
        map.put("short_seq_prob", samples.shortSeqProb());
        map.put("dupe_factor", samples.dupeFactor());
        map.put("whole_word_mask", samples.wholeWordMask());
        map.put("truncation", samples.truncation().name().toLowerCase(Locale.ROOT).replace('_', '+'));
        map.put("seed", samples.seed());
        map.put("max_line_bytes", request.maxLineBytes());
        return map;
    }

    /** Run 1 uses the configured seed; later runs draw from their own streams. */
    static SampleConfig samplesOfRun(SampleConfig samples, int run) {
        return run == 1 ? samples : new SampleConfig(samples.maxSeqLength(), samples.maxPredictionsPerSeq(),
                samples.maskedLmProb(), samples.shortSeqProb(), samples.dupeFactor(), samples.wholeWordMask(),
                samples.truncation(), SeededRandom.seed(samples.seed(), run));
    }

    /** An incremental run must make samples the same way as the runs before it. */
    private static void checkCompatible(ObjectNode manifest, Vocab vocab, Map<String, Object> config) {
        String recorded = manifest.path("vocab").path("sha256").asText();
        if (!recorded.equals(vocab.sha256())) {
            throw new IllegalArgumentException("the vocabulary differs from the one the dataset was made with (sha256 "
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
            throw new IllegalArgumentException("the settings differ from the dataset's: "
                    + String.join(", ", differences));
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
}
