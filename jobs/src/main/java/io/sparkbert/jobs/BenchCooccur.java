package io.sparkbert.jobs;

import io.sparkbert.jobs.bench.ChildRun;
import io.sparkbert.jobs.bench.GloveRecords;
import io.sparkbert.jobs.bench.Median;
import io.sparkbert.pipeline.util.LocalFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The whole cooccur command and, optionally, Stanford GloVe's C tools, each as a child process on
 * the same file in the same run: wall time, peak memory, tokens/s, pairs/s, and whether they agree.
 */
@Command(name = "cooccur", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Throughput of the whole `cooccur` command (a child JVM: start-up, Spark session or, for a "
                + "corpus within --in-driver-max-mb, the driver's threads, vocabulary, co-occurrences, outputs) on "
                + "local[2]: wall time, peak resident memory, tokens/s "
                + "and non-zero pairs/s. With --peer-dir, also runs Stanford GloVe's vocab_count and cooccur "
                + "(built by you; not shipped) on the same file and window, and compares their outputs.",
            "Corpus: --input FILE, or --generate-mb MB of a deterministic English-like text (Zipf-Mandelbrot "
                + "word frequencies over --types word types, English sentence lengths, collocations; see "
                + "SyntheticCorpus), or else the bundled KJV text repeated --copies times."})
final class BenchCooccur implements Callable<Integer> {
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

    @Option(names = "--in-driver-max-mb", paramLabel = "MB",
            description = "Passed on to our cooccur (0: count on Spark whatever the size); default: cooccur's own.")
    Long inDriverMaxMb;

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
                ChildRun run = runOurs(corpus, ours, work);
                var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ours.resolve("report.json")
                        .toFile());
                long tokens = report.get("tokens").asLong();
                long pairs = report.get("non_zero_pairs").asLong();
                if (round == 1) {
                    System.out.printf(Locale.ROOT, "bench cooccur: %,d tokens, vocabulary %,d, %,d non-zero pairs%n",
                            tokens, report.get("vocab_size").asLong(), pairs);
                }
                print("ours (whole command, " + master + ", counted on " + report.get("counted_on").asText() + ")",
                        run, tokens, pairs);
                if (peerDir != null) {
                    ChildRun peer = runPeer(corpus, work);
                    print("GloVe's C vocab_count + cooccur (one thread)", peer, tokens, pairs);
                    Path cooc = work.resolve("peer.bin");
                    boolean sameVocab = java.util.Arrays.equals(Files.readAllBytes(work.resolve("peer.vocab.txt")),
                            Files.readAllBytes(ours.resolve("vocab.txt")));
                    double[] diff = GloveRecords.compare(ours.resolve("cooccurrence.bin"), cooc);
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
    private ChildRun runOurs(Path corpus, Path ours, Path work) throws Exception {
        List<String> command = ChildRun.javaCommand(0, driverMemory, SparkBert.class.getName());
        command.addAll(List.of("cooccur", "--master", master, "--input", corpus.toString(), "--output", ours.toString(),
                "--window", Integer.toString(window), "--min-count", "5"));
        if (inDriverMaxMb != null) {
            command.addAll(List.of("--in-driver-max-mb", Long.toString(inDriverMaxMb)));
        }
        ChildRun run = ChildRun.of(command, null, work.resolve("ours.log"));
        if (run.exitCode() != 0) {
            throw new SparkBert.UserError("our cooccur failed (exit " + run.exitCode() + "):\n"
                    + Files.readString(work.resolve("ours.log")));
        }
        return run;
    }

    /**
     * GloVe's vocab_count then cooccur, as its demo.sh runs them, with glibc's defaults (without the launcher's
     * malloc settings); wall and peak of the two.
     */
    private ChildRun runPeer(Path corpus, Path work) throws Exception {
        Path vocab = work.resolve("peer.vocab.txt");
        ChildRun counting = ChildRun.of(List.of(peerDir.resolve("vocab_count").toString(), "-min-count", "5",
                "-verbose", "0"), corpus, vocab, ChildRun.LAUNCHER_ENV);
        ChildRun pairing = ChildRun.of(List.of(peerDir.resolve("cooccur").toString(), "-window-size",
                Integer.toString(window), "-symmetric", "1", "-verbose", "0", "-vocab-file", vocab.toString(),
                "-overflow-file", work.resolve("overflow").toString()), corpus, work.resolve("peer.bin"),
                ChildRun.LAUNCHER_ENV);
        if (counting.exitCode() != 0 || pairing.exitCode() != 0) {
            throw new SparkBert.UserError("GloVe's tools failed (exit " + counting.exitCode() + ", "
                    + pairing.exitCode() + ")");
        }
        return new ChildRun(0, counting.seconds() + pairing.seconds(), Math.max(counting.peakBytes(), pairing.peakBytes()));
    }

    private static void print(String who, ChildRun run, long tokens, long pairs) {
        System.out.printf(Locale.ROOT, "  %-46s %6.1f s wall, peak RSS %,6d MB, %,10.0f tokens/s, %,11.0f pairs/s%n",
                who, run.seconds(), run.peakBytes() >> 20, tokens / run.seconds(), pairs / run.seconds());
    }
}
