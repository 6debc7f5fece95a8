package io.sparkbert.jobs;

import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The first thing a newcomer runs: the whole pipeline, as far as it exists, on the bundled corpus
 * with embedded Spark: learn a vocabulary on Spark, tokenize with it, make pretraining samples.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Run the pipeline on the bundled public-domain corpus with embedded Spark and print what "
                + "it produced: a WordPiece vocabulary learned on Spark, a text tokenized with it, and BERT "
                + "pretraining samples made from the corpus.",
            "Outputs go to --work (replaced on every run)."})
final class DemoCommand implements Callable<Integer> {
    static final String HOME_PROPERTY = "sparkbert.home";

    @Option(names = "--work", paramLabel = "DIR", description = "Scratch directory for the demo's outputs.")
    Path work;

    @Option(names = "--vocab-size", paramLabel = "N", description = "Vocabulary size to learn.")
    int vocabSize;

    @Option(names = "--dupe-factor", paramLabel = "N", description = "Copies of the corpus in the samples.")
    int dupeFactor;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: embedded, local[*]).")
    String master;

    @Mixin
    ConfigOption config;

    /** The corpus shipped with the project (data/corpus), found from bin/sparkbert's home. */
    static Path bundledCorpus() {
        String home = System.getProperty(HOME_PROPERTY);
        Path corpus = Path.of(home != null ? home : ".").resolve("data").resolve("corpus");
        if (!Files.isDirectory(corpus)) {
            throw new SparkBert.UserError("the bundled corpus is not at " + corpus
                    + "; run from a checkout of sparkbert (bin/sparkbert sets -D" + HOME_PROPERTY + ")");
        }
        return corpus;
    }

    @Override
    public Integer call() throws Exception {
        Path corpus = bundledCorpus();
        Files.createDirectories(work);
        Path vocab = work.resolve("vocab.txt");
        Path sampler = corpus.resolve("mixed").resolve("unicode-sampler.txt");
        Path ids = work.resolve("unicode-sampler.ids");
        long start = System.nanoTime();

        Path samples = work.resolve("samples");
        System.err.println("== 1/3 learn a vocabulary of " + vocabSize + " on Spark from " + corpus.resolve("kjv"));
        int status = run("vocab", "--input", corpus.resolve("kjv").toString(), "--output", vocab.toString(),
                "--size", Integer.toString(vocabSize), "--overwrite");
        if (status != 0) {
            return status;
        }
        System.err.println("== 2/3 tokenize " + sampler + " with it");
        status = run("tokenize", "--vocab", vocab.toString(), "--input", sampler.toString(),
                "--output", ids.toString(), "--overwrite");
        if (status != 0) {
            return status;
        }
        System.err.println("== 3/3 make pretraining samples (NSP pairs + masked LM) on Spark");
        status = run("preprocess", "--input", corpus.resolve("kjv").toString(), "--vocab", vocab.toString(),
                "--output", samples.toString(), "--dupe-factor", Integer.toString(dupeFactor), "--overwrite");
        if (status != 0) {
            return status;
        }
        status = run("inspect", samples.toString(), "--n", "1");
        if (status != 0) {
            return status;
        }
        BertTokenizer tokenizer = new BertTokenizer(Vocab.load(vocab), true);
        System.out.println();
        for (String text : List.of("In the beginning God created the heaven and the earth.",
                "Tokenizers split unbelievably long words into wordpieces.")) {
            System.out.println(text);
            System.out.println("  -> " + String.join(" ", tokenizer.tokenize(text)));
        }
        System.out.printf(Locale.ROOT, "%ndemo finished in %.0f s. Produced:%n"
                        + "  %s  the vocabulary (and vocab.report.json beside it)%n"
                        + "  %s  token ids of the Unicode sampler, one line per input line%n"
                        + "  %s  pretraining samples: Parquet shards, manifest.json, report.json%n"
                        + "Next: bin/sparkbert tokenize --vocab %s --input YOUR.txt --output YOUR.ids%n"
                        + "      bin/sparkbert inspect %s    bin/sparkbert bench tokenize%n",
                (System.nanoTime() - start) / 1e9, vocab, ids, samples, vocab, samples);
        return 0;
    }

    /** Runs one command of the pipeline with the demo's --master and --config passed on. */
    private int run(String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        if (master != null && (args[0].equals("vocab") || args[0].equals("preprocess"))) {
            command.addAll(List.of("--master", master));
        }
        if (config.file != null) {
            command.addAll(List.of("--config", config.file.toString()));
        }
        return SparkBert.execute(command.toArray(String[]::new));
    }
}
