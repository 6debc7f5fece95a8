package io.sparkbert.jobs;

import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.corpus.InputStats;
import io.sparkbert.pipeline.preprocess.PreprocessJob;
import io.sparkbert.pipeline.reference.ReferenceVocabs;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.LocalFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The whole preprocess job on Spark: text MB/s per core, and how much of it is reading + tokenizing. */
@Command(name = "preprocess", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Throughput of the whole preprocess job (read, tokenize, pair, mask, write Parquet) on "
                + "Spark, dupe factor 1, and the share of reading + tokenizing alone (same files, same run).",
            "Defaults: the bundled KJV corpus copied --copies times, the real bert-base-uncased vocab, local[2]."})
final class BenchPreprocess implements Callable<Integer> {
    @Option(names = "--input", paramLabel = "DIR", description = "Corpus directory (default: data/corpus/kjv).")
    Path input;

    @Option(names = "--copies", paramLabel = "N", description = "Copies of the corpus to process.")
    int copies;

    @Option(names = "--vocab", paramLabel = "FILE", description = "vocab.txt (default: bert-base-uncased).")
    Path vocab;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    @Mixin
    ConfigOption config;

    @Mixin
    SparkSessions sparkOptions;

    @Override
    public Integer call() throws Exception {
        Settings settings = config.settings();
        Vocab vocabulary = vocab != null ? Vocab.load(vocab) : ReferenceVocabs.bertBaseUncased();
        Path source = input != null ? input : DemoCommand.bundledCorpus().resolve("kjv");
        Path work = Files.createTempDirectory("sparkbert-bench-preprocess");
        try {
            Path corpus = Files.createDirectories(work.resolve("corpus"));
            List<Path> sourceFiles;
            try (Stream<Path> walk = Files.walk(source)) {
                sourceFiles = walk.filter(Files::isRegularFile).sorted().toList();
            }
            long bytes = 0;
            for (int copy = 0; copy < copies; copy++) {
                for (Path file : sourceFiles) {
                    Path target = corpus.resolve(String.format(Locale.ROOT, "copy%03d-%s", copy, file.getFileName()));
                    Files.copy(file, target);
                    bytes += Files.size(target);
                }
            }
            if (sparkOptions.master == null) {
                sparkOptions.master = "local[2]";
            }
            SparkSession spark = sparkOptions.start("bench preprocess", settings);
            try {
                int cores = spark.sparkContext().defaultParallelism();
                var hadoop = spark.sparkContext().hadoopConfiguration();
                var files = CorpusPaths.listFiles(List.of(corpus.toString()), hadoop);
                var options = new PreprocessJob.Options(DocumentParser.Format.LINES, true,
                        new SampleConfig(128, 20, 0.15, 0.1, 1, false, SampleConfig.Truncation.HEAD, 12345L),
                        cores, Math.max(1, cores), 1 << 20);
                // warm-up on one copy's worth, so both timings see a warm JIT
                PreprocessJob.parseOnly(spark, files.subList(0, sourceFiles.size()), vocabulary, options);

                long t0 = System.nanoTime();
                InputStats parsed = PreprocessJob.parseOnly(spark, files, vocabulary, options);
                double parseSeconds = (System.nanoTime() - t0) / 1e9;
                long t1 = System.nanoTime();
                PreprocessJob.Result result = PreprocessJob.run(spark, files, vocabulary, options,
                        work.resolve("out").toString(), "part");
                double jobSeconds = (System.nanoTime() - t1) / 1e9;

                double mb = bytes / 1e6;
                System.out.printf(Locale.ROOT, "bench preprocess: %.1f MB, %,d documents, %,d tokens -> %,d samples on "
                                + "%d cores: whole job %.1f s = %.2f MB/s = %.2f MB/s per core; reading + tokenizing "
                                + "alone %.1f s = %.2f MB/s per core, %.0f%% of the job%n",
                        mb, parsed.documents, parsed.tokens, result.samples().samples, cores, jobSeconds,
                        mb / jobSeconds, mb / jobSeconds / cores, parseSeconds, mb / parseSeconds / cores,
                        100 * parseSeconds / jobSeconds);
                if (json != null) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("megabytes", mb);
                    out.put("cores", cores);
                    out.put("job_seconds", jobSeconds);
                    out.put("mb_per_sec_per_core", mb / jobSeconds / cores);
                    out.put("tokenize_seconds", parseSeconds);
                    out.put("tokenize_share", parseSeconds / jobSeconds);
                    out.put("samples", result.samples().samples);
                    Files.writeString(json, Reports.toJson(out));
                }
            } finally {
                spark.stop();
            }
            return 0;
        } finally {
            LocalFiles.deleteRecursively(work);
        }
    }
}
