package io.sparkbert.pipeline.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.pipeline.corpus.InputStats;
import io.sparkbert.pipeline.samples.Masker;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.samples.SampleStats;
import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.AtomicDirectory;
import io.sparkbert.pipeline.util.CodeVersion;
import io.sparkbert.pipeline.util.OutputExistsException;
import io.sparkbert.pipeline.util.ParquetFooters;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A directory of pretraining samples and its lifecycle on any Hadoop filesystem:
 * {@code part-*.parquet} shards, {@code manifest.json} (what made them: config, vocab hash, input files
 * with sizes and checksums, shards, counts, code version), {@code report.json} (what was found and
 * measured) and a copy of {@code vocab.txt}. The manifest is written last and marks the directory as
 * finished: a full run builds everything in a hidden sibling directory and renames it into place; an
 * incremental run adds its shards and then replaces the manifest in one atomic rename. Readers take the
 * shard list from the manifest, so shards of a crashed incremental run are never read (and the next run
 * deletes them).
 */
public final class SampleDataset {

    /**
     * One or more finished datasets opened for reading (training, evaluation): what they have in common — the
     * vocabulary, casing and geometry — and their shards.
     *
     * @param samples the samples of all the datasets, from their manifests
     */
    public record Info(Vocab vocab, boolean uncased, int seqLen, int maxPredictions, double maskedLmProb,
                       List<String> shards, long samples) implements Serializable {
        /** Bytes of a shard one task reads at most (Spark SQL's {@code spark.sql.files.maxPartitionBytes}). */
        static final long SPLIT_BYTES = 128L << 20;

        /**
         * Every sample of the shards (bookkeeping fields other than length are 0), a partition per
         * {@link #SPLIT_BYTES} of a shard, read by parquet-mr into samples directly ({@link SampleReadSupport}):
         * Spark SQL's reader would cost a training run's start several seconds of loading and planning Spark SQL.
         */
        public JavaRDD<TrainingSample> read(SparkSession spark) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            List<ShardSplit> splits = splits(sc.hadoopConfiguration());
            SerializableConfiguration hadoop = new SerializableConfiguration(sc.hadoopConfiguration());
            return sc.parallelize(splits, splits.size()).mapPartitions(part -> ShardSplit.samples(part, hadoop.value()));
        }

        /**
         * The samples of {@link #read}, read in this JVM without Spark, split after split: for a driver that keeps
         * them (the samples arrive once, with no serialized copy on the way).
         */
        public Iterator<TrainingSample> readHere(Configuration hadoop) {
            return ShardSplit.samples(splits(hadoop).iterator(), hadoop);
        }

        private List<ShardSplit> splits(Configuration hadoop) {
            if (shards.isEmpty()) {
                throw new IllegalArgumentException("the datasets hold no shards");
            }
            try {
                return ShardSplit.of(shards, hadoop, SPLIT_BYTES);
            } catch (IOException e) {
                throw new UncheckedIOException("listing the pretraining shards: " + e.getMessage(), e);
            }
        }

        /** A masker with the datasets' vocabulary, geometry and masking rate (dynamic masking re-masks with it). */
        public Masker masker() {
            SampleConfig defaults = SampleConfig.defaults();
            return new Masker(vocab, new SampleConfig(seqLen, maxPredictions, maskedLmProb, defaults.shortSeqProb(), 1,
                    false, defaults.truncation(), 0));
        }
    }

    /**
     * Opens finished datasets for reading: each must be finished (its manifest written), all must share one
     * vocabulary and geometry, and every shard must be a complete Parquet file.
     */
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
                throw new IllegalArgumentException(dir + " is not a finished pretraining dataset (no " + MANIFEST
                        + "); run `sparkbert preprocess` first");
            }
            ObjectNode manifest = dataset.manifest();
            JsonNode config = manifest.path("config");
            Path vocabPath = new Path(dir, VOCAB);
            Vocab vocab;
            try (InputStream in = vocabPath.getFileSystem(hadoop).open(vocabPath)) {
                vocab = Vocab.read(in, vocabPath.toString());
            }
            Info info = new Info(vocab, !config.path("cased").asBoolean(false), config.path("max_seq_length").asInt(),
                    config.path("max_predictions_per_seq").asInt(), config.path("masked_lm_prob").asDouble(0.15),
                    List.of(), 0);
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
                ParquetFooters.requireComplete(file, hadoop); // a truncated shard is named, not a stack trace
                shards.add(file);
            }
            samples += manifest.path("totals").path("samples").asLong(0);
        }
        return new Info(first.vocab(), first.uncased(), first.seqLen(), first.maxPredictions(), first.maskedLmProb(),
                shards, samples);
    }
    public static final String MANIFEST = "manifest.json";
    public static final String REPORT = "report.json";
    public static final String VOCAB = "vocab.txt";
    static final String FORMAT = "sparkbert-pretraining-samples";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final AtomicDirectory directory;
    private final FileSystem fs;
    private final Configuration hadoop;

    public SampleDataset(String dir, Configuration hadoop) throws IOException {
        this.dir = new Path(dir);
        this.hadoop = hadoop;
        this.directory = new AtomicDirectory(dir, hadoop);
        this.fs = directory.fileSystem();
    }

    public Path path() {
        return dir;
    }

    public boolean isFinished() throws IOException {
        return fs.exists(new Path(dir, MANIFEST));
    }

    /** The manifest of a finished dataset. */
    public ObjectNode manifest() throws IOException {
        try (InputStream in = fs.open(new Path(dir, MANIFEST))) {
            return (ObjectNode) JSON.readTree(in);
        }
    }

    /**
     * Checks, before any work, that a full run may write here: nothing there, or {@code overwrite}.
     */
    public void checkFullRunAllowed(boolean overwrite) throws IOException {
        if (overwrite || !fs.exists(dir)) {
            return;
        }
        if (isFinished()) {
            throw new OutputExistsException(dir.toString());
        }
        FileStatus[] content = fs.listStatus(dir);
        if (content.length > 0) {
            throw new IllegalArgumentException("output " + dir + " exists, is not empty and holds no " + MANIFEST
                    + " (not a sparkbert dataset); pass --overwrite to replace it");
        }
    }

    /** A new hidden staging directory beside the dataset, for a full run. */
    public Path newStagingDirectory() {
        return directory.newStaging();
    }

    /** A new hidden staging directory inside the dataset, for an incremental run. */
    public Path newIncrementalStagingDirectory() {
        return new Path(dir, ".tmp-" + UUID.randomUUID());
    }

    /**
     * Finishes a full run: writes vocab, report and (last) manifest into the staging directory, then
     * renames it to the dataset's path, replacing a previous dataset only if {@code overwrite}.
     */
    public void commitFullRun(Path staging, Vocab vocab, ObjectNode manifest, Map<String, Object> report,
                              boolean overwrite) throws IOException {
        writeVocab(new Path(staging, VOCAB), vocab);
        writeJson(new Path(staging, REPORT), report);
        writeJson(new Path(staging, MANIFEST), manifest);
        directory.commit(staging, overwrite);
    }

    /**
     * Finishes an incremental run: moves its shards into the dataset, then replaces report and manifest
     * (each by an atomic rename over the old file, the manifest last).
     */
    public void commitIncrementalRun(Path staging, List<String> shards, ObjectNode manifest,
                                     Map<String, Object> report) throws IOException {
        for (String shard : shards) {
            rename(new Path(staging, shard), new Path(dir, shard));
        }
        replace(REPORT, JSON.writeValueAsBytes(report));
        replace(MANIFEST, JSON.writeValueAsBytes(manifest));
        fs.delete(staging, true);
    }

    /**
     * Removes what a crashed incremental run left: staging directories and shards the manifest does not
     * list. Returns the names removed.
     */
    public List<String> removeLeftovers(ObjectNode manifest) throws IOException {
        Set<String> listed = new HashSet<>();
        manifest.withArray("shards").forEach(s -> listed.add(s.asText()));
        List<String> removed = new ArrayList<>();
        for (FileStatus status : fs.listStatus(dir)) {
            String name = status.getPath().getName();
            boolean orphanShard = name.startsWith("part-") && name.endsWith(".parquet") && !listed.contains(name);
            boolean staleStaging = name.startsWith(".tmp-") && status.isDirectory();
            if (orphanShard || staleStaging) {
                fs.delete(status.getPath(), true);
                removed.add(name);
            }
        }
        return removed;
    }

    private void replace(String name, byte[] content) throws IOException {
        Path temporary = new Path(dir, "." + name + ".tmp-" + UUID.randomUUID());
        try (OutputStream out = fs.create(temporary, false)) {
            out.write(content);
        }
        FileContext.getFileContext(dir.toUri(), hadoop).rename(temporary, new Path(dir, name), Options.Rename.OVERWRITE);
    }

    private void rename(Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("cannot rename " + from + " to " + to);
        }
    }

    private void writeJson(Path path, Object value) throws IOException {
        try (OutputStream out = fs.create(path, false)) {
            JSON.writeValue(out, value);
        }
    }

    private void writeVocab(Path path, Vocab vocab) throws IOException {
        try (OutputStream out = fs.create(path, false)) {
            java.io.Writer writer = new java.io.OutputStreamWriter(out, java.nio.charset.StandardCharsets.UTF_8);
            vocab.write(writer);
            writer.flush();
        }
    }

    /** A new manifest for a first run. */
    public static ObjectNode newManifest(Map<String, Object> config, Vocab vocab) {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format", FORMAT);
        manifest.put("format_version", 1);
        manifest.put("code_version", CodeVersion.get());
        manifest.set("config", JSON.valueToTree(config));
        ObjectNode vocabNode = manifest.putObject("vocab");
        vocabNode.put("file", VOCAB);
        vocabNode.put("sha256", vocab.sha256());
        vocabNode.put("size", vocab.size());
        ArrayNode columns = manifest.putArray("columns");
        for (var field : SampleColumns.SCHEMA.fields()) {
            columns.addObject().put("name", field.name()).put("type", field.dataType().simpleString());
        }
        manifest.putArray("runs");
        manifest.putArray("shards");
        manifest.putObject("totals");
        return manifest;
    }

    /** Adds one run (its input files, shards and counts) to a manifest and updates the totals. */
    public static void addRun(ObjectNode manifest, List<Map<String, Object>> files, List<String> shards,
                              InputStats input, SampleStats samples) {
        ArrayNode runs = manifest.withArray("runs");
        ObjectNode run = runs.addObject();
        run.put("run", runs.size());
        run.put("code_version", CodeVersion.get());
        run.set("files", JSON.valueToTree(files));
        run.set("shards", JSON.valueToTree(shards));
        run.set("input", JSON.valueToTree(input));
        run.set("samples", JSON.valueToTree(samples));
        shards.forEach(manifest.withArray("shards")::add);
        InputStats totalInput = new InputStats();
        SampleStats totalSamples = new SampleStats();
        for (JsonNode r : runs) {
            totalInput.merge(JSON.convertValue(r.get("input"), InputStats.class));
            totalSamples.merge(JSON.convertValue(r.get("samples"), SampleStats.class));
        }
        ObjectNode totals = manifest.putObject("totals");
        totals.put("runs", runs.size());
        totals.put("files", totalInput.files);
        totals.put("documents", totalInput.documents);
        totals.put("samples", totalSamples.samples);
        totals.put("shards", manifest.withArray("shards").size());
    }

    /** The report of a whole dataset: totals over its runs, then each run. */
    public static Map<String, Object> report(ObjectNode manifest) {
        InputStats input = new InputStats();
        SampleStats samples = new SampleStats();
        List<Map<String, Object>> runs = new ArrayList<>();
        for (JsonNode r : manifest.withArray("runs")) {
            InputStats runInput = JSON.convertValue(r.get("input"), InputStats.class);
            SampleStats runSamples = JSON.convertValue(r.get("samples"), SampleStats.class);
            input.merge(runInput);
            samples.merge(runSamples);
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("run", r.get("run").asInt());
            run.put("input", runInput.toMap());
            run.put("samples", runSamples.toMap());
            runs.add(run);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("input", input.toMap());
        report.put("samples", samples.toMap());
        report.put("runs", runs);
        return report;
    }

    /** Paths of the input files the manifest already covers. */
    public static Set<String> processedFiles(ObjectNode manifest) {
        Set<String> paths = new HashSet<>();
        for (JsonNode run : manifest.withArray("runs")) {
            for (JsonNode file : run.withArray("files")) {
                paths.add(file.get("path").asText());
            }
        }
        return paths;
    }
}
