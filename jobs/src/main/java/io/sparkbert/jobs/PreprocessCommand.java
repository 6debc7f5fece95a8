package io.sparkbert.jobs;

import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.preprocess.PreprocessJob;
import io.sparkbert.pipeline.preprocess.PreprocessRun;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.OutputLock;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
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
            return sparkOptions.run("preprocess", settings, true, spark -> {
                long start = System.nanoTime();
                Vocab vocabulary = readVocab(vocab, spark.sparkContext().hadoopConfiguration());
                PreprocessRun.Request request = new PreprocessRun.Request(CorpusPaths.split(input), target, vocabulary,
                        corpusFormat, cased, samples, partitions, shards, maxLineBytes, incremental, overwrite);
                PreprocessRun.Outcome outcome = PreprocessRun.run(spark, request,
                        note -> System.err.println("preprocess: " + note));
                if (!outcome.nothingToDo()) {
                    printSummary(outcome, (System.nanoTime() - start) / 1e9, target);
                }
                return 0;
            });
        }
    }

    private static void printSummary(PreprocessRun.Outcome outcome, double seconds, String target) {
        PreprocessJob.Result result = outcome.result();
        Map<String, Object> stats = result.samples().toMap();
        System.err.printf(Locale.ROOT, "preprocess: %,d documents, %,d sentences -> %,d samples (IsNext %.3f, "
                        + "masked %.3f of maskable tokens, mean length %.1f) in %d shard(s), %.1f s, %.2f MB/s -> %s%n",
                result.input().documents, result.input().sentences, result.samples().samples,
                (Double) stats.get("is_next_ratio"), (Double) stats.get("masked_fraction_of_maskable_tokens"),
                (Double) stats.get("mean_real_length"), result.shardFiles().size(), seconds,
                outcome.inputBytes() / 1e6 / seconds, target);
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
