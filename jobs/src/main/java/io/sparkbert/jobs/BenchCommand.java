package io.sparkbert.jobs;

import io.sparkbert.pipeline.util.LocalFiles;

import io.sparkbert.jobs.bench.Median;
import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.corpus.InputStats;
import io.sparkbert.pipeline.glove.CooccurrenceJob;
import io.sparkbert.pipeline.preprocess.PreprocessJob;
import io.sparkbert.pipeline.reference.HuggingFaceBertTokenizer;
import io.sparkbert.pipeline.reference.ReferenceVocabs;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.text.Utf8Lines;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks of hot paths against a named peer measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Throughput benchmarks against reference peers (run through bin/sparkbert: the peers are not "
                + "in the cluster jar).",
        subcommands = {BenchCommand.Tokenize.class, BenchCommand.Preprocess.class, BenchCommand.Cooccur.class,
            BenchCommand.Attention.class, BenchPretrain.class, BenchCluster.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Ours vs HuggingFace's Rust tokenizer, single thread, same text, same vocab. */
    @Command(name = "tokenize", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Single-thread wordpieces/s of our tokenizer and of HuggingFace's Rust tokenizers "
                    + "(through DJL), on the same lines with the same vocab, alternating rounds.",
                "Defaults: the real bert-base-uncased vocab and the bundled KJV corpus."})
    static final class Tokenize implements Callable<Integer> {
        @Option(names = "--vocab", paramLabel = "FILE", description = "vocab.txt (default: bert-base-uncased).")
        Path vocab;

        @Option(names = "--input", paramLabel = "PATH", split = ",",
                description = "Text files or directories (default: the bundled corpus data/corpus/kjv).")
        List<Path> input;

        @Option(names = "--rounds", paramLabel = "N", description = "Timed rounds per tokenizer.")
        int rounds;

        @Option(names = "--warmup", paramLabel = "N", description = "Untimed warm-up rounds per tokenizer.")
        int warmup;

        @Option(names = "--cased", negatable = true, description = "Keep case and accents.")
        boolean cased;

        @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
        Path json;

        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws Exception {
            Class<?> peerClass;
            try {
                peerClass = Class.forName("ai.djl.huggingface.tokenizers.HuggingFaceTokenizer");
            } catch (ClassNotFoundException e) {
                throw new SparkBert.UserError("the HuggingFace peer (ai.djl.huggingface:tokenizers) is not on the "
                        + "classpath; run benchmarks with bin/sparkbert, not from the cluster jar");
            }
            Vocab vocabulary = vocab != null ? Vocab.load(vocab)
                    : ReferenceVocabs.bertBaseUncased();
            List<String> lines = readLines(input != null ? input : List.of(DemoCommand.bundledCorpus().resolve("kjv")));
            long bytes = lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();
            BertTokenizer ours = new BertTokenizer(vocabulary, !cased);
            try (HuggingFaceBertTokenizer peer = new HuggingFaceBertTokenizer(vocabulary, !cased)) {
                int differing = 0;
                IntList ids = new IntList();
                for (String line : lines) {
                    ids.clear();
                    ours.encode(line, ids);
                    if (!Arrays.equals(ids.toArray(), peer.encode(line))) {
                        differing++;
                    }
                }
                ToLongFunction<String> oursRun = line -> {
                    ids.clear();
                    ours.encode(line, ids);
                    return ids.size();
                };
                ToLongFunction<String> peerRun = line -> peer.encode(line).length;
                System.err.printf(Locale.ROOT, "bench tokenize: %,d lines, %,d bytes, vocab of %,d, %s, "
                                + "single thread, %d warm-up + %d timed rounds each (peer: %s)%n",
                        lines.size(), bytes, vocabulary.size(), cased ? "cased" : "uncased", warmup, rounds,
                        peerClass.getName());
                double[] oursRates = new double[rounds];
                double[] peerRates = new double[rounds];
                long pieces = 0;
                for (int round = -warmup; round < rounds; round++) {
                    // alternate which one goes first so that neither always runs on a warmer cache
                    boolean oursFirst = (round & 1) == 0;
                    double[] first = time(lines, oursFirst ? oursRun : peerRun);
                    double[] second = time(lines, oursFirst ? peerRun : oursRun);
                    double[] oursResult = oursFirst ? first : second;
                    double[] peerResult = oursFirst ? second : first;
                    pieces = (long) oursResult[1];
                    if (round >= 0) {
                        oursRates[round] = oursResult[1] / oursResult[0];
                        peerRates[round] = peerResult[1] / peerResult[0];
                        System.err.printf(Locale.ROOT, "  round %d: ours %,.0f wordpieces/s, huggingface %,.0f%n",
                                round + 1, oursRates[round], peerRates[round]);
                    }
                }
                double oursMedian = Median.of(oursRates);
                double peerMedian = Median.of(peerRates);
                double ratio = oursMedian / peerMedian;
                System.out.printf(Locale.ROOT, "bench tokenize: ours %,.0f wordpieces/s (%.1f MB/s), huggingface "
                                + "%,.0f wordpieces/s (%.1f MB/s), ratio %.2fx; %,d wordpieces per round; "
                                + "%d of %,d lines differ%n",
                        oursMedian, oursMedian * bytes / pieces / 1e6, peerMedian, peerMedian * bytes / pieces / 1e6,
                        ratio, pieces, differing, lines.size());
                if (json != null) {
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("lines", lines.size());
                    result.put("bytes", bytes);
                    result.put("wordpieces_per_round", pieces);
                    result.put("ours_wordpieces_per_sec", oursMedian);
                    result.put("huggingface_wordpieces_per_sec", peerMedian);
                    result.put("ratio", ratio);
                    result.put("differing_lines", differing);
                    Files.writeString(json, Reports.toJson(result));
                }
                return 0;
            }
        }

        /** Seconds and wordpieces of one pass over the lines. */
        private static double[] time(List<String> lines, ToLongFunction<String> tokenizer) {
            long pieces = 0;
            long start = System.nanoTime();
            for (String line : lines) {
                pieces += tokenizer.applyAsLong(line);
            }
            return new double[] {(System.nanoTime() - start) / 1e9, pieces};
        }

        private static List<String> readLines(List<Path> paths) throws IOException {
            List<String> lines = new ArrayList<>();
            for (Path path : paths) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(path)) {
                    files = walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".md"))
                            .sorted().toList();
                }
                for (Path file : files) {
                    try (Utf8Lines reader = new Utf8Lines(Files.newInputStream(file))) {
                        for (String line = reader.next(); line != null; line = reader.next()) {
                            lines.add(line);
                        }
                    }
                }
            }
            if (lines.isEmpty()) {
                throw new SparkBert.UserError("no text under " + paths);
            }
            return lines;
        }
    }

    /** The whole preprocess job on Spark: text MB/s per core, and how much of it is reading + tokenizing. */
    @Command(name = "preprocess", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Throughput of the whole preprocess job (read, tokenize, pair, mask, write Parquet) on "
                    + "Spark, dupe factor 1, and the share of reading + tokenizing alone (same files, same run).",
                "Defaults: the bundled KJV corpus copied --copies times, the real bert-base-uncased vocab, local[2]."})
    static final class Preprocess implements Callable<Integer> {
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

    /**
     * The whole cooccur command and, optionally, Stanford GloVe's C tools, each as a child process on
     * the same file in the same run: wall time, peak memory, tokens/s, pairs/s, and whether they agree.
     */
    @Command(name = "cooccur", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Throughput of the whole `cooccur` command (a child JVM: start-up, Spark session, "
                    + "vocabulary, co-occurrences, outputs) on local[2]: wall time, peak resident memory, tokens/s "
                    + "and non-zero pairs/s. With --peer-dir, also runs Stanford GloVe's vocab_count and cooccur "
                    + "(built by you; not shipped) on the same file and window, and compares their outputs.",
                "Corpus: --input FILE, or --generate-mb MB of a deterministic English-like text (Zipf-Mandelbrot "
                    + "word frequencies over --types word types, English sentence lengths, collocations; see "
                    + "SyntheticCorpus), or else the bundled KJV text repeated --copies times."})
    static final class Cooccur implements Callable<Integer> {
        @Option(names = "--input", paramLabel = "FILE", description = "A corpus file.")
        Path input;

        @Option(names = "--generate-mb", paramLabel = "MB", description = "Generate a corpus of this many MB (1e6 bytes).")
        double generateMb;

        @Option(names = "--types", paramLabel = "N", description = "Word types of the generated corpus.")
        int types;

        @Option(names = "--seed", paramLabel = "N", description = "Seed of the generated corpus.")
        long seed;

        @Option(names = "--copies", paramLabel = "N", description = "Copies of the bundled corpus.")
        int copies;

        @Option(names = "--window", paramLabel = "N", description = "Context window.")
        int window;

        @Option(names = "--master", paramLabel = "URL", description = "Spark master of our run.")
        String master;

        @Option(names = "--driver-memory", paramLabel = "SIZE", description = "Heap of our JVM (as java -Xmx).")
        String driverMemory;

        @Option(names = "--peer-dir", paramLabel = "DIR", description = "Directory with GloVe's vocab_count, cooccur.")
        Path peerDir;

        @Option(names = "--runs", paramLabel = "N",
                description = "Runs of each tool, alternating (ours, C, ours, C, ...); the ratio is the median of the "
                        + "runs' ratios, which a machine whose speed drifts needs.")
        int runs;

        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws Exception {
            config.settings();
            Path work = Files.createTempDirectory("sparkbert-bench-cooccur");
            try {
                Path corpus = input;
                String what;
                if (corpus != null) {
                    what = corpus.getFileName().toString();
                } else if (generateMb > 0) {
                    corpus = work.resolve("generated.txt");
                    long t0 = System.nanoTime();
                    io.sparkbert.pipeline.glove.SyntheticCorpus.Stats stats;
                    try (var out = Files.newOutputStream(corpus)) {
                        stats = new io.sparkbert.pipeline.glove.SyntheticCorpus(types, seed)
                                .write(out, (long) (generateMb * 1e6));
                    }
                    what = String.format(Locale.ROOT, "generated (%,d types, seed %d; %,d lines, made in %.1f s)",
                            types, seed, stats.lines(), (System.nanoTime() - t0) / 1e9);
                } else {
                    corpus = work.resolve("corpus.txt");
                    List<Path> files;
                    try (Stream<Path> walk = Files.list(DemoCommand.bundledCorpus().resolve("kjv"))) {
                        files = walk.sorted().toList();
                    }
                    try (var out = Files.newOutputStream(corpus)) {
                        for (int copy = 0; copy < copies; copy++) {
                            for (Path file : files) {
                                out.write(Files.readAllBytes(file));
                            }
                        }
                    }
                    what = "bundled KJV excerpt x" + copies;
                }
                double mb = Files.size(corpus) / 1e6;
                System.out.printf(Locale.ROOT, "bench cooccur: %.1f MB, %s, window %d%n", mb, what, window);

                if (runs < 1) {
                    throw new SparkBert.UserError("--runs must be at least 1: " + runs);
                }
                List<Double> ratios = new ArrayList<>();
                for (int round = 1; round <= runs; round++) {
                    if (runs > 1) {
                        System.out.printf(Locale.ROOT, "run %d of %d%n", round, runs);
                    }
                    Path ours = work.resolve("ours");
                    if (Files.exists(ours)) {
                        LocalFiles.deleteRecursively(ours);
                    }
                    Run run = runOurs(corpus, ours, work);
                    var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ours.resolve("report.json")
                            .toFile());
                    long tokens = report.get("tokens").asLong();
                    long pairs = report.get("non_zero_pairs").asLong();
                    if (round == 1) {
                        System.out.printf(Locale.ROOT, "bench cooccur: %,d tokens, vocabulary %,d, %,d non-zero pairs%n",
                                tokens, report.get("vocab_size").asLong(), pairs);
                    }
                    print("ours (whole command, " + master + ")", run, tokens, pairs);
                    if (peerDir != null) {
                        Run peer = runPeer(corpus, work);
                        print("GloVe's C vocab_count + cooccur (one thread)", peer, tokens, pairs);
                        Path cooc = work.resolve("peer.bin");
                        boolean sameVocab = java.util.Arrays.equals(Files.readAllBytes(work.resolve("peer.vocab.txt")),
                                Files.readAllBytes(ours.resolve("vocab.txt")));
                        double[] diff = compareRecords(ours.resolve("cooccurrence.bin"), cooc);
                        ratios.add(run.seconds() / peer.seconds());
                        System.out.printf(Locale.ROOT, "bench cooccur: ours / C wall = %.2f; vocab.txt identical: %s; "
                                        + "records: ours %,d, C %,d, same pairs in the same order: %s, largest relative "
                                        + "difference of a value %.1e%n", run.seconds() / peer.seconds(), sameVocab, pairs,
                                Files.size(cooc) / 16, diff[0] == 0, diff[1]);
                    }
                }
                if (ratios.size() > 1) {
                    List<Double> sorted = ratios.stream().sorted().toList();
                    int n = sorted.size();
                    double median = Median.of(ratios.stream().mapToDouble(Double::doubleValue).toArray());
                    System.out.printf(Locale.ROOT, "bench cooccur: ours / C wall over %d alternating runs: median %.2f "
                            + "(min %.2f, max %.2f)%n", n, median, sorted.get(0), sorted.get(n - 1));
                }
                return 0;
            } finally {
                LocalFiles.deleteRecursively(work);
            }
        }

        /** Our whole cooccur command in a child JVM with this JVM's flags (the launcher's). */
        private Run runOurs(Path corpus, Path ours, Path work) throws Exception {
            List<String> command = new ArrayList<>(List.of(javaExecutable()));
            command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(a -> !a.startsWith("-Xmx") && !a.startsWith("-agentlib") && !a.startsWith("-XX:StartFlight"))
                    .toList());
            command.add("-Xmx" + driverMemory);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), SparkBert.class.getName(),
                    "cooccur", "--master", master, "--input", corpus.toString(), "--output", ours.toString(),
                    "--window", Integer.toString(window), "--min-count", "5"));
            Run run = Run.of(command, null, work.resolve("ours.log"));
            if (run.exitCode() != 0) {
                throw new SparkBert.UserError("our cooccur failed (exit " + run.exitCode() + "):\n"
                        + Files.readString(work.resolve("ours.log")));
            }
            return run;
        }

        /** GloVe's vocab_count then cooccur, as its demo.sh runs them; wall and peak of the two. */
        private Run runPeer(Path corpus, Path work) throws Exception {
            Path vocab = work.resolve("peer.vocab.txt");
            Run counting = Run.of(List.of(peerDir.resolve("vocab_count").toString(), "-min-count", "5",
                    "-verbose", "0"), corpus, vocab);
            Run pairing = Run.of(List.of(peerDir.resolve("cooccur").toString(), "-window-size",
                    Integer.toString(window), "-symmetric", "1", "-verbose", "0", "-vocab-file", vocab.toString(),
                    "-overflow-file", work.resolve("overflow").toString()), corpus, work.resolve("peer.bin"));
            if (counting.exitCode() != 0 || pairing.exitCode() != 0) {
                throw new SparkBert.UserError("GloVe's tools failed (exit " + counting.exitCode() + ", "
                        + pairing.exitCode() + ")");
            }
            return new Run(0, counting.seconds() + pairing.seconds(), Math.max(counting.peakBytes(), pairing.peakBytes()));
        }

        private static void print(String who, Run run, long tokens, long pairs) {
            System.out.printf(Locale.ROOT, "  %-46s %6.1f s wall, peak RSS %,6d MB, %,10.0f tokens/s, %,11.0f pairs/s%n",
                    who, run.seconds(), run.peakBytes() >> 20, tokens / run.seconds(), pairs / run.seconds());
        }

        private static String javaExecutable() {
            return Path.of(System.getProperty("java.home"), "bin", "java").toString();
        }

        /** [1 if the pairs differ anywhere else 0, the largest relative difference of a value]. */
        private static double[] compareRecords(Path a, Path b) throws IOException {
            if (Files.size(a) != Files.size(b)) {
                return new double[] {1, Double.NaN};
            }
            double worst = 0;
            try (var x = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(a), 1 << 20));
                 var y = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(b), 1 << 20))) {
                byte[] ra = new byte[16];
                byte[] rb = new byte[16];
                var va = java.nio.ByteBuffer.wrap(ra).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                var vb = java.nio.ByteBuffer.wrap(rb).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (long n = Files.size(a) / 16; n > 0; n--) {
                    x.readFully(ra);
                    y.readFully(rb);
                    if (va.getLong(0) != vb.getLong(0)) {
                        return new double[] {1, worst};
                    }
                    double p = va.getDouble(8);
                    double q = vb.getDouble(8);
                    worst = Math.max(worst, Math.abs(p - q) / Math.max(Math.abs(p), Math.abs(q)));
                }
            }
            return new double[] {0, worst};
        }

        /** A finished child process: exit code, wall seconds, peak resident memory (VmHWM, polled). */
        record Run(int exitCode, double seconds, long peakBytes) {
            static Run of(List<String> command, Path stdin, Path stdout) throws Exception {
                return of(command, stdin, stdout, List.of());
            }

            /** Runs {@code command} without the environment variables {@code unset}. */
            static Run of(List<String> command, Path stdin, Path stdout, List<String> unset) throws Exception {
                return of(command, stdin, stdout, unset, Map.of());
            }

            /** Runs {@code command} without the environment variables {@code unset} and with {@code set}. */
            static Run of(List<String> command, Path stdin, Path stdout, List<String> unset, Map<String, String> set)
                    throws Exception {
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(stdin == null);
                unset.forEach(builder.environment()::remove);
                builder.environment().putAll(set);
                if (stdin != null) {
                    builder.redirectInput(stdin.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
                }
                builder.redirectOutput(stdout.toFile());
                long start = System.nanoTime();
                Process process = builder.start();
                Path status = Path.of("/proc", Long.toString(process.pid()), "status");
                long peak = 0;
                while (!process.waitFor(20, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    peak = Math.max(peak, highWaterMark(status));
                }
                return new Run(process.exitValue(), (System.nanoTime() - start) / 1e9, peak);
            }

            static long highWaterMark(Path status) {
                try {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmHWM:")) {
                            return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // gone, or not Linux
                }
                return 0;
            }
        }
    }

    /** Our SameDiff attention vs the stock op, and a bert-mini training step against ND4J's sgemm peak. */
    @Command(name = "attention", mixinStandardHelpOptions = true,
            description = {"Forward+backward of our attention vs SameDiff's stock multiHeadDotProductAttention (batch 32, "
                    + "seq 128, H 256, 4 heads), a full bert-mini training step, and ND4J's sgemm peak (2048^3 float "
                    + "matmul) measured in the same run.",
                "Arguments key=value override the sizes: batch seq hidden heads layers intermediate vocab predictions "
                    + "gemm reps attReps steps stepBatch."})
    static final class Attention implements Callable<Integer> {
        @picocli.CommandLine.Parameters(paramLabel = "KEY=VALUE", arity = "0..*", description = "Size overrides.")
        Map<String, String> overrides = new LinkedHashMap<>();

        @Override
        public Integer call() {
            io.sparkbert.jobs.bench.AttentionBenchmark.run(overrides);
            return 0;
        }
    }

    /** Removes a benchmark's scratch directory. */
}
