package io.sparkbert.jobs;

import io.sparkbert.model.train.RunDirectory;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The first thing a newcomer runs: the whole product on the bundled corpus with embedded Spark, each step the
 * real command run in-process: vocabulary, tokenization, pretraining samples, GloVe co-occurrences and vectors,
 * BERT pretraining on a held-out book, HuggingFace export, fill-mask; then a summary read from the reports.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Run the whole pipeline on the bundled public-domain corpus (data/corpus/kjv) with embedded "
                + "Spark: learn a WordPiece vocabulary, tokenize with it, make pretraining samples (one book held "
                + "out), count GloVe co-occurrences and train GloVe vectors (nearest neighbours printed), pretrain "
                + "BERT for --minutes (progress, metrics, curves), export the checkpoint for HuggingFace and fill "
                + "masks with it; then print what was produced where, the key figures and the next commands.",
            "The defaults (conf/demo.conf) take about 10 minutes on 2 cores. Outputs go to --work, replaced on every "
                + "run."})
final class DemoCommand implements Callable<Integer> {
    static final String HOME_PROPERTY = "sparkbert.home";

    @Option(names = "--work", paramLabel = "DIR", description = "Scratch directory for the demo's outputs.")
    Path work;

    @Option(names = "--vocab-size", paramLabel = "N", description = "Vocabulary size to learn.")
    int vocabSize;

    @Option(names = "--held-out", paramLabel = "FILE", description = "Book of data/corpus/kjv held out for evaluation.")
    String heldOut;

    @Option(names = "--max-seq-length", paramLabel = "N", description = "Tokens per pretraining sample.")
    int maxSeqLength;

    @Option(names = "--max-predictions", paramLabel = "N", description = "Masked positions per sample at most.")
    int maxPredictions;

    @Option(names = "--dupe-factor", paramLabel = "N", description = "Copies of the training books in the samples.")
    int dupeFactor;

    @Option(names = "--glove-dim", paramLabel = "D", description = "GloVe vector size.")
    int gloveDim;

    @Option(names = "--glove-iterations", paramLabel = "N", description = "GloVe passes over the co-occurrences.")
    int gloveIterations;

    @Option(names = "--neighbors", paramLabel = "WORD", split = ",",
            description = "Words whose nearest GloVe neighbours are printed (comma-separated).")
    List<String> neighbors;

    @Mixin
    DemoPretraining pretraining;

    @Option(names = "--fill-mask", paramLabel = "TEXT", split = ",",
            description = "Sentences with [MASK] for fill-mask at the end (comma-separated).")
    List<String> fillMask;

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
        try {
            return demo(new DemoSteps(master, config.file));
        } catch (DemoSteps.StepFailed e) {
            return e.status;
        }
    }

    private int demo(DemoSteps steps) throws Exception {
        Path kjv = bundledCorpus().resolve("kjv");
        Path heldOutBook = kjv.resolve(heldOut);
        if (!Files.isRegularFile(heldOutBook)) {
            throw new SparkBert.UserError("--held-out " + heldOut + " is not a file of " + kjv);
        }
        List<String> trainingBooks;
        try (Stream<Path> files = Files.list(kjv)) {
            trainingBooks = files.filter(Files::isRegularFile).filter(p -> !p.equals(heldOutBook))
                    .map(Path::toString).sorted().toList();
        }
        if (trainingBooks.isEmpty()) {
            throw new SparkBert.UserError("no training books left in " + kjv + " besides " + heldOut);
        }
        int plannedSteps = pretraining.steps();
        Files.createDirectories(work);
        DemoSummary.Outputs out = new DemoSummary.Outputs(work);
        Path sampler = bundledCorpus().resolve("mixed").resolve("unicode-sampler.txt");
        long start = System.nanoTime();

        DemoSteps.announce(1, "learn a WordPiece vocabulary of " + vocabSize + " on Spark from " + kjv);
        steps.require(true, "vocab", "--input", kjv.toString(), "--output", out.vocab.toString(),
                "--size", Integer.toString(vocabSize), "--overwrite");
        BertTokenizer tokenizer = new BertTokenizer(Vocab.load(out.vocab), true);
        for (String text : List.of("In the beginning God created the heaven and the earth.",
                "Tokenizers split unbelievably long words into wordpieces.")) {
            System.out.println(text);
            System.out.println("  -> " + String.join(" ", tokenizer.tokenize(text)));
        }

        DemoSteps.announce(2, "tokenize " + sampler + " with it (one JVM, no Spark)");
        steps.require(false, "tokenize", "--vocab", out.vocab.toString(), "--input", sampler.toString(),
                "--output", out.ids.toString(), "--overwrite");

        DemoSteps.announce(3, "make pretraining samples (NSP pairs + masked LM) on Spark: " + trainingBooks.size()
                + " books for training, " + heldOut + " held out");
        preprocess(steps, String.join(",", trainingBooks), out, out.samples, dupeFactor);
        preprocess(steps, heldOutBook.toString(), out, out.evalSamples, 1);
        steps.require(false, "inspect", out.samples.toString(), "--n", "1");

        DemoSteps.announce(4, "count GloVe co-occurrences of the corpus's wordpieces on Spark");
        steps.require(true, "cooccur", "--input", kjv.toString(), "--output", out.cooccur.toString(),
                "--tokens", "wordpiece", "--vocab", out.vocab.toString(), "--overwrite");

        DemoSteps.announce(5, "train GloVe vectors on Spark (" + gloveDim + " dimensions, " + gloveIterations
                + " iterations)");
        steps.require(true, "glove", "--cooccur", out.cooccur.toString(), "--output", out.vectors.toString(),
                "--dim", Integer.toString(gloveDim), "--iterations", Integer.toString(gloveIterations),
                "--overwrite");

        DemoSteps.announce(6, "nearest neighbours in the GloVe vectors");
        for (String word : neighbors == null ? List.<String>of() : neighbors) {
            if (steps.run(false, List.of("neighbors", "--vectors", out.vectors.toString(), "--word", word)) != 0) {
                System.out.println("(no vector for \"" + word + "\"; the demo goes on)");
            }
        }

        List<String> pretrain = pretraining.command(out.samples, out.evalSamples, out.run);
        DemoSteps.announce(7, "pretrain BERT (" + pretraining.preset + ") on Spark for at most "
                + DemoPretraining.format(pretraining.minutes) + " minutes (" + plannedSteps
                + " steps planned), evaluated on " + heldOut);
        long pretrainStart = System.nanoTime();
        steps.require(true, Stream.concat(pretrain.stream(), Stream.of("--overwrite")).toList());
        double pretrainSeconds = (System.nanoTime() - pretrainStart) / 1e9;
        Path checkpoint = new RunDirectory(out.run).latestCheckpoint()
                .orElseThrow(() -> new IllegalStateException("pretrain wrote no checkpoint under " + out.run));

        DemoSteps.announce(8, "export " + checkpoint + " for HuggingFace transformers");
        steps.require(false, "export", "--checkpoint", checkpoint.toString(), "--output", out.hf.toString(),
                "--overwrite");

        DemoSteps.announce(9, "fill masks with the pretrained model");
        for (String text : fillMask == null ? List.<String>of() : fillMask) {
            steps.require(false, "fill-mask", "--checkpoint", checkpoint.toString(), text);
        }

        new DemoSummary(work, heldOut, pretraining.preset, maxSeqLength, maxPredictions)
                .print(out, checkpoint, pretrain, pretrainSeconds, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private void preprocess(DemoSteps steps, String input, DemoSummary.Outputs out, Path output, int dupes) {
        steps.require(true, "preprocess", "--input", input, "--vocab", out.vocab.toString(),
                "--output", output.toString(), "--dupe-factor", Integer.toString(dupes),
                "--max-seq-length", Integer.toString(maxSeqLength),
                "--max-predictions", Integer.toString(maxPredictions), "--overwrite");
    }
}
