package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.checkpoint.HuggingFaceCheckpoint;
import io.sparkbert.model.train.RunDirectory;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JAR = "jobs/target/sparkbert-0.1.0-SNAPSHOT.jar";

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
        Outputs out = new Outputs(work);
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

        summary(out, checkpoint, pretrain, pretrainSeconds, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** Where every output of the demo goes. */
    private static final class Outputs {
        final Path vocab;
        final Path ids;
        final Path samples;
        final Path evalSamples;
        final Path cooccur;
        final Path vectors;
        final Path run;
        final Path hf;

        Outputs(Path work) {
            vocab = work.resolve("vocab.txt");
            ids = work.resolve("unicode-sampler.ids");
            samples = work.resolve("samples");
            evalSamples = work.resolve("eval-samples");
            cooccur = work.resolve("cooccur");
            vectors = work.resolve("vectors.txt");
            run = work.resolve("pretrain");
            hf = work.resolve("hf");
        }
    }

    private void summary(Outputs out, Path checkpoint, List<String> pretrain, double pretrainSeconds,
                         double seconds) throws IOException {
        JsonNode samples = readJson(out.samples.resolve("report.json")).path("samples");
        JsonNode evalSamples = readJson(out.evalSamples.resolve("report.json")).path("samples");
        JsonNode cooccur = readJson(out.cooccur.resolve("report.json"));
        JsonNode glove = readJson(Path.of(Reports.reportPathFor(out.vectors.toString())));
        JsonNode baseline = readJson(out.run.resolve(RunDirectory.BASELINE));
        List<JsonNode> metrics = new RunDirectory(out.run).readMetrics();
        List<JsonNode> stepLines = metrics.stream().filter(l -> l.has("loss")).toList();
        Optional<JsonNode> eval = metrics.stream().filter(l -> l.has("eval_mlm_accuracy")).reduce((a, b) -> b);
        int plannedSteps = new RunDirectory(out.run).runDescription().map(d -> d.path("settings").path("steps").asInt())
                .orElse(0);
        int lastStep = stepLines.isEmpty() ? 0 : stepLines.get(stepLines.size() - 1).path("step").asInt();
        // a step line's rate is over the wall time of the training loop so far: the last one covers the run
        double samplesPerSecond = stepLines.isEmpty() ? Double.NaN
                : stepLines.get(stepLines.size() - 1).path("samples_per_sec").asDouble();
        long safetensors = Files.size(out.hf.resolve(HuggingFaceCheckpoint.WEIGHTS));
        List<Double> costs = new ArrayList<>();
        glove.path("cost_per_iteration").forEach(c -> costs.add(c.asDouble()));

        Locale root = Locale.ROOT;
        System.out.printf(root, "%ndemo finished in %.0f s (%.1f min). Produced under %s:%n", seconds, seconds / 60,
                work);
        String vectors = out.vectors.getFileName().toString();
        produced(out.vocab, String.format(root, "WordPiece vocabulary of %,d learned on Spark (+ vocab.report.json)",
                Files.readAllLines(out.vocab).size()));
        produced(out.ids, "token ids of the Unicode sampler, one line per input line");
        produced(out.samples, "pretraining samples: Parquet shards, report.json, manifest.json");
        produced(out.evalSamples, "the held-out book " + heldOut + ", preprocessed the same way");
        produced(out.cooccur, "GloVe's vocab.txt and cooccurrence.bin, cooccurrence.parquet, report.json");
        produced(out.vectors, "GloVe vectors, text (+ " + vectors + ".bin, "
                + Path.of(Reports.reportPathFor(vectors)).getFileName() + ")");
        produced(out.run, "metrics.jsonl, curves.svg (open it in a browser), unigram_baseline.json");
        produced(checkpoint, "the pretrained checkpoint: model.zip, config.json, vocab.txt");
        produced(out.hf, "HuggingFace BertForPreTraining: config.json, vocab.txt, model.safetensors");
        System.out.printf(root, "Key figures:%n");
        System.out.printf(root, "  samples           %,d for training (IsNext %.1f%%, mean length %.1f of %d tokens), "
                        + "%,d held out%n", samples.path("samples").asLong(),
                100 * samples.path("is_next_ratio").asDouble(), samples.path("mean_real_length").asDouble(),
                maxSeqLength, evalSamples.path("samples").asLong());
        System.out.printf(root, "  co-occurrences    %,d non-zero pairs of a %,d-wordpiece vocabulary, %,d tokens%n",
                cooccur.path("non_zero_pairs").asLong(), cooccur.path("vocab_size").asLong(),
                cooccur.path("tokens").asLong());
        System.out.printf(root, "  GloVe             %,d vectors of %d dimensions, cost %s after %d iterations%n",
                glove.path("vocab_size").asLong(), glove.path("dim").asInt(),
                costs.isEmpty() ? "-" : String.format(root, "%.4f -> %.4f", costs.get(0),
                        costs.get(costs.size() - 1)), costs.size());
        System.out.printf(root, "  pretraining       %s, step %d of %d%s, %.1f samples/s; %.1f min with set-up%n",
                preset, lastStep, plannedSteps, lastStep >= plannedSteps ? " (finished)" : " (stopped by --minutes)",
                samplesPerSecond, pretrainSeconds / 60);
        if (eval.isPresent()) {
            JsonNode e = eval.get();
            double accuracy = e.path("eval_mlm_accuracy").asDouble();
            double base = baseline.path("accuracy").asDouble();
            System.out.printf(root, "  held-out MLM      accuracy %.4f vs %.4f for always guessing \"%s\" (%.2fx), "
                            + "loss %.4f, at step %d%n", accuracy, base, baseline.path("token").asText(),
                    accuracy / base, e.path("eval_mlm_loss").asDouble(), e.path("step").asInt());
            System.out.printf(root, "  held-out NSP      accuracy %.4f (chance: 0.5), loss %.4f%n",
                    e.path("eval_nsp_accuracy").asDouble(), e.path("eval_nsp_loss").asDouble());
        }
        System.out.printf(root, "  export            model.safetensors %,d bytes (%.1f MB, float32)%n", safetensors,
                safetensors / 1e6);

        String ckpt = checkpoint.toString();
        List<String> cluster = new ArrayList<>(List.of("bin/sparkbert"));
        cluster.addAll(pretrain);
        cluster.set(cluster.indexOf("--output") + 1, work.resolve("pretrain-cluster").toString());
        cluster.addAll(2, List.of("--master", "spark://127.0.0.1:7077"));
        System.out.printf(root, "Next:%n");
        List<String> again = Stream.concat(Stream.of("bin/sparkbert"), pretrain.stream()).toList();
        if (lastStep < plannedSteps) {
            System.out.printf(root, "  # continue this run where it stopped (the same command resumes from its latest "
                    + "checkpoint, for --max-minutes more)%n  %s%n", command(again));
        }
        System.out.printf(root, "  # the same training on a real Spark standalone cluster on this machine (2 workers)%n"
                + "  bin/sparkbert local-cluster start --workers 2 --cores-per-worker 1 --memory-per-worker 2g%n"
                + "  %s%n  bin/sparkbert local-cluster stop%n", command(cluster));
        System.out.printf(root, "  # on your cluster (README: On a cluster): build the jar, spark-submit any command; "
                + "pretrain's --output is a directory on the driver%n"
                + "  mvn -B -DskipTests package%n"
                + "  spark-submit --master yarn --class io.sparkbert.jobs.SparkBert %s preprocess "
                + "--input hdfs:///corpora/en --vocab hdfs:///vocabs/en.txt --output hdfs:///samples/en-128%n"
                + "  spark-submit --master yarn --class io.sparkbert.jobs.SparkBert %s pretrain "
                + "--data hdfs:///samples/en-128 --output runs/en-mini --preset mini --max-minutes 600%n", JAR, JAR);
        System.out.printf(root, "  # the export in Python, and back into a checkpoint%n"
                + "  python -c 'from transformers import BertForPreTraining; "
                + "BertForPreTraining.from_pretrained(\"%s\")'%n"
                + "  bin/sparkbert import --hf %s --output %s --max-seq-length %d --max-predictions %d%n",
                out.hf, out.hf, work.resolve("imported"), maxSeqLength, maxPredictions);
        System.out.printf(root, "  # use the model%n"
                + "  bin/sparkbert fill-mask --checkpoint %s \"and the [MASK] spake unto moses\"%n"
                + "  echo '{\"text_a\":\"and god said\",\"text_b\":\"let there be light\"}' > requests.jsonl%n"
                + "  bin/sparkbert infer --checkpoint %s --input requests.jsonl --output outputs.jsonl%n"
                + "  # your own corpus: bin/sparkbert vocab|preprocess|cooccur|glove|pretrain --help%n", ckpt, ckpt);
    }

    private static String command(List<String> args) {
        return String.join(" ", args.stream().map(DemoCommand::quote).toList());
    }

    /** One line of the summary's list of outputs: the path under --work, then what it is. */
    private void produced(Path path, String what) {
        String name = work.relativize(path) + (Files.isDirectory(path) ? "/" : "");
        System.out.printf(Locale.ROOT, "  %-34s %s%n", name, what);
    }

    private static JsonNode readJson(Path file) throws IOException {
        return JSON.readTree(file.toFile());
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

    private static String quote(String arg) {
        return arg.matches("[A-Za-z0-9_./:,=+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
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
