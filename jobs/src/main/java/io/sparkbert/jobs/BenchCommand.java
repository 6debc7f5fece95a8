package io.sparkbert.jobs;

import io.sparkbert.jobs.bench.Median;
import io.sparkbert.pipeline.reference.HuggingFaceBertTokenizer;
import io.sparkbert.pipeline.reference.ReferenceVocabs;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks of hot paths against a named peer measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Throughput benchmarks against reference peers (run through bin/sparkbert: the peers are not "
                + "in the cluster jar).",
        subcommands = {BenchCommand.Tokenize.class, BenchPreprocess.class, BenchCooccur.class,
            BenchCommand.Attention.class, BenchPretrain.class, BenchCluster.class, BenchTransfer.class,
            BenchGemm.class})
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

}
