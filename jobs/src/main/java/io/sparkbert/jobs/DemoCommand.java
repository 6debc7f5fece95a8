package io.sparkbert.jobs;

import io.sparkbert.model.train.RunDirectory;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Option(names = "--minutes", paramLabel = "M", description = "Minutes of pretraining (pretrain --max-minutes).")
    double minutes;

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

    @Option(names = "--preset", paramLabel = "NAME", description = "BERT preset to pretrain (tiny, mini, small, ...).")
    String preset;

    @Option(names = "--pretrain-steps", paramLabel = "N",
            description = "Pretraining steps (0 = minutes x steps-per-minute).")
    int pretrainSteps;

    @Option(names = "--steps-per-minute", paramLabel = "N",
            description = "Steps planned per minute of --minutes when --pretrain-steps is 0.")
    int stepsPerMinute;

    @Option(names = "--batch-size-per-worker", paramLabel = "B", description = "Samples per batch per worker.")
    int batchSizePerWorker;

    @Option(names = "--averaging-frequency", paramLabel = "K", description = "Steps between parameter averages.")
    int averagingFrequency;

    @Option(names = "--learning-rate", paramLabel = "LR", description = "Peak learning rate.")
    double learningRate;

    @Option(names = "--warmup-fraction", paramLabel = "F", description = "Share of the steps spent warming up.")
    double warmupFraction;

    @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate on the held-out book every N steps.")
    int evalEvery;

    @Option(names = "--eval-max-samples", paramLabel = "N", description = "Held-out samples per evaluation.")
    int evalMaxSamples;

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
            return demo();
        } catch (DemoStepFailed e) {
            return e.status;
        }
    }

    private int demo() throws Exception {
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
        if (minutes <= 0) {
            throw new SparkBert.UserError("--minutes must be positive: " + minutes);
        }
        int steps = pretrainSteps > 0 ? pretrainSteps : (int) Math.ceil(minutes * stepsPerMinute);
        if (steps < 1) {
            throw new SparkBert.UserError("no pretraining steps: give --pretrain-steps N or --steps-per-minute N > 0");
        }
        Files.createDirectories(work);
        DemoSummary.Outputs out = new DemoSummary.Outputs(work);
        Path sampler = bundledCorpus().resolve("mixed").resolve("unicode-sampler.txt");
        long start = System.nanoTime();

        step(1, "learn a WordPiece vocabulary of " + vocabSize + " on Spark from " + kjv);
        require(run(true, "vocab", "--input", kjv.toString(), "--output", out.vocab.toString(),
                "--size", Integer.toString(vocabSize), "--overwrite"));
        BertTokenizer tokenizer = new BertTokenizer(Vocab.load(out.vocab), true);
        for (String text : List.of("In the beginning God created the heaven and the earth.",
                "Tokenizers split unbelievably long words into wordpieces.")) {
            System.out.println(text);
            System.out.println("  -> " + String.join(" ", tokenizer.tokenize(text)));
        }

        step(2, "tokenize " + sampler + " with it (one JVM, no Spark)");
        require(run(false, "tokenize", "--vocab", out.vocab.toString(), "--input", sampler.toString(),
                "--output", out.ids.toString(), "--overwrite"));

        step(3, "make pretraining samples (NSP pairs + masked LM) on Spark: " + trainingBooks.size()
                + " books for training, " + heldOut + " held out");
        List<String> geometry = List.of("--max-seq-length", Integer.toString(maxSeqLength),
                "--max-predictions", Integer.toString(maxPredictions));
        require(run(true, concat(List.of("preprocess", "--input", String.join(",", trainingBooks),
                "--vocab", out.vocab.toString(), "--output", out.samples.toString(),
                "--dupe-factor", Integer.toString(dupeFactor), "--overwrite"), geometry)));
        require(run(true, concat(List.of("preprocess", "--input", heldOutBook.toString(),
                "--vocab", out.vocab.toString(), "--output", out.evalSamples.toString(),
                "--dupe-factor", "1", "--overwrite"), geometry)));
        require(run(false, "inspect", out.samples.toString(), "--n", "1"));

        step(4, "count GloVe co-occurrences of the corpus's wordpieces on Spark");
        require(run(true, "cooccur", "--input", kjv.toString(), "--output", out.cooccur.toString(),
                "--tokens", "wordpiece", "--vocab", out.vocab.toString(), "--overwrite"));

        step(5, "train GloVe vectors on Spark (" + gloveDim + " dimensions, " + gloveIterations + " iterations)");
        require(run(true, "glove", "--cooccur", out.cooccur.toString(), "--output", out.vectors.toString(),
                "--dim", Integer.toString(gloveDim), "--iterations", Integer.toString(gloveIterations),
                "--overwrite"));

        step(6, "nearest neighbours in the GloVe vectors");
        for (String word : neighbors == null ? List.<String>of() : neighbors) {
            if (run(false, "neighbors", "--vectors", out.vectors.toString(), "--word", word) != 0) {
                System.out.println("(no vector for \"" + word + "\"; the demo goes on)");
            }
        }

        int warmup = (int) Math.round(steps * warmupFraction);
        List<String> pretrain = List.of("pretrain", "--data", out.samples.toString(),
                "--eval-data", out.evalSamples.toString(), "--output", out.run.toString(), "--preset", preset,
                "--steps", Integer.toString(steps), "--max-minutes", format(minutes),
                "--batch-size-per-worker", Integer.toString(batchSizePerWorker),
                "--averaging-frequency", Integer.toString(averagingFrequency),
                "--learning-rate", format(learningRate), "--warmup-steps", Integer.toString(warmup),
                "--eval-every", Integer.toString(evalEvery), "--eval-max-samples", Integer.toString(evalMaxSamples),
                "--checkpoint-every", Integer.toString(steps), "--keep-checkpoints", "1");
        step(7, "pretrain BERT (" + preset + ") on Spark for at most " + format(minutes) + " minutes (" + steps
                + " steps planned), evaluated on " + heldOut);
        long pretrainStart = System.nanoTime();
        require(run(true, concat(pretrain, List.of("--overwrite"))));
        double pretrainSeconds = (System.nanoTime() - pretrainStart) / 1e9;
        Path checkpoint = new RunDirectory(out.run).latestCheckpoint()
                .orElseThrow(() -> new IllegalStateException("pretrain wrote no checkpoint under " + out.run));

        step(8, "export " + checkpoint + " for HuggingFace transformers");
        require(run(false, "export", "--checkpoint", checkpoint.toString(), "--output", out.hf.toString(),
                "--overwrite"));

        step(9, "fill masks with the pretrained model");
        for (String text : fillMask == null ? List.<String>of() : fillMask) {
            require(run(false, "fill-mask", "--checkpoint", checkpoint.toString(), text));
        }

        new DemoSummary(work, heldOut, preset, maxSeqLength, maxPredictions)
                .print(out, checkpoint, pretrain, pretrainSeconds, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private static void step(int n, String what) {
        System.err.println();
        System.err.println("== " + n + "/9 " + what);
    }

    private static void require(int status) {
        if (status != 0) {
            throw new DemoStepFailed(status);
        }
    }

    /** A step of the demo failed; the step's command has already said why. */
    static final class DemoStepFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        DemoStepFailed(int status) {
            super("a step of the demo failed (exit code " + status + ")");
            this.status = status;
        }
    }

    

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e9 ? Long.toString((long) value)
                : Double.toString(value);
    }

    private int run(boolean spark, List<String> args) {
        return run(spark, args.toArray(String[]::new));
    }

    /** Runs one command of the pipeline, with the demo's --master (Spark commands) and --config passed on. */
    private int run(boolean spark, String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        if (master != null && spark) {
            command.addAll(List.of("--master", master));
        }
        if (config.file != null) {
            command.addAll(List.of("--config", config.file.toString()));
        }
        return SparkBert.execute(command.toArray(String[]::new));
    }
}
