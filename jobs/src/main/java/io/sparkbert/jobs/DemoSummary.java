package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.checkpoint.HuggingFaceCheckpoint;
import io.sparkbert.model.train.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/** The end of {@code demo}: the outputs under --work, the figures read back from their reports, what to run next. */
final class DemoSummary {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JAR = "jobs/target/sparkbert-0.1.0-SNAPSHOT.jar";

    private final Path work;
    private final String heldOut;
    private final String preset;
    private final int maxSeqLength;
    private final int maxPredictions;

    DemoSummary(Path work, String heldOut, String preset, int maxSeqLength, int maxPredictions) {
        this.work = work;
        this.heldOut = heldOut;
        this.preset = preset;
        this.maxSeqLength = maxSeqLength;
        this.maxPredictions = maxPredictions;
    }

    /** Where every output of the demo goes. */
    static final class Outputs {
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

    /**
     * Prints what the demo produced, its key figures and the commands to go on with.
     *
     * @param pretrain        the pretrain command the demo ran (without --overwrite)
     * @param pretrainSeconds its wall time, set-up included
     * @param seconds         the whole demo's wall time
     */
    void print(Outputs out, Path checkpoint, List<String> pretrain, double pretrainSeconds, double seconds)
            throws IOException {
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
        // over the wall time of the whole training loop, its final evaluation and checkpoint included (the last
        // step line's rate is written before them)
        Path summary = out.run.resolve(RunDirectory.SUMMARY);
        double samplesPerSecond = Files.exists(summary) ? readJson(summary).path("samples_per_sec").asDouble()
                : Double.NaN;
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
        produced(out.run, "metrics.jsonl, curves.svg (open it in a browser), unigram_baseline.json, summary.json");
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
        return String.join(" ", args.stream().map(DemoSummary::quote).toList());
    }

    /** One line of the summary's list of outputs: the path under --work, then what it is. */
    private void produced(Path path, String what) {
        String name = work.relativize(path) + (Files.isDirectory(path) ? "/" : "");
        System.out.printf(Locale.ROOT, "  %-34s %s%n", name, what);
    }

    private static JsonNode readJson(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    /** The argument as a POSIX shell word. */
    static String quote(String arg) {
        return arg.matches("[A-Za-z0-9_./:,=+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }
}
