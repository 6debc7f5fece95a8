package io.sparkbert.jobs;

import io.sparkbert.pipeline.glove.GloveConfig;
import io.sparkbert.pipeline.glove.GloveEntry;
import io.sparkbert.pipeline.glove.GloveModel;
import io.sparkbert.pipeline.glove.GloveOutput;
import io.sparkbert.pipeline.glove.GloveTrainer;
import io.sparkbert.pipeline.util.AtomicOutput;
import io.sparkbert.pipeline.util.OutputLock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains GloVe vectors on Spark from the output of {@code cooccur} (docs/design.md §4). */
@Command(name = "glove", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Train GloVe word vectors on Spark from co-occurrence counts.",
            "Reads DIR/vocab.txt and DIR/cooccurrence.parquet (written by cooccur). Each iteration, every partition "
                + "of the co-occurrences runs one pass of glove.c's AdaGrad update on its own copy of the model; "
                + "the copies are averaged row by row. Writes VECTORS in GloVe's text format (w + w~ per word), "
                + "glove.c's binary parameters to VECTORS.bin and a report next to them. The whole model "
                + "(V x (2d+2) x 16 bytes) must fit in the driver's memory."})
final class GloveCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(GloveCommand.class);

    @Option(names = "--cooccur", required = true, paramLabel = "DIR",
            description = "Directory with vocab.txt and cooccurrence.parquet, on any Hadoop filesystem.")
    String cooccur;

    @Option(names = "--output", required = true, paramLabel = "VECTORS",
            description = "Text vectors to write; the binary parameters go to VECTORS.bin.")
    String output;

    @Option(names = "--dim", paramLabel = "D", description = "Vector size.")
    int dim;

    @Option(names = "--iterations", paramLabel = "N", description = "Passes over the co-occurrences.")
    int iterations;

    @Option(names = "--x-max", paramLabel = "X", description = "Cut-off of the weighting function.")
    double xMax;

    @Option(names = "--alpha", paramLabel = "A", description = "Exponent of the weighting function.")
    double alpha;

    @Option(names = "--eta", paramLabel = "RATE", description = "AdaGrad learning rate.")
    double eta;

    @Option(names = "--grad-clip", paramLabel = "G", description = "Clip of each vector gradient component.")
    double gradClip;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial vectors and of the shuffle.")
    long seed;

    @Option(names = "--partitions", paramLabel = "N",
            description = "Models trained in parallel and averaged (0 = Spark's default parallelism).")
    int partitions;

    @Option(names = "--overwrite", description = "Replace existing outputs.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Mixin
    SparkSessions sparkOptions;

    @Override
    public Integer call() throws Exception {
        SparkBert.UserError.requireAtLeast("--partitions", partitions, 0, "");
        Settings settings = config.settings();
        GloveConfig glove = new GloveConfig(dim, iterations, xMax, alpha, eta, gradClip, seed, partitions);
        String input = VocabCommand.qualify(cooccur).replaceAll("/+$", "");
        String target = VocabCommand.qualify(output);
        String binaryTarget = target + ".bin";
        String reportTarget = Reports.reportPathFor(target);
        try (OutputLock lock = OutputLocks.acquire(target)) { // one lock for VECTORS, .bin and report
            Configuration localHadoop = new Configuration();
            for (String path : List.of(target, binaryTarget, reportTarget)) {
                AtomicOutput.checkWritable(path, overwrite, localHadoop);
            }
            long start = System.nanoTime();
            return sparkOptions.run("glove", settings, false, spark -> train(spark, glove, input, target, binaryTarget, reportTarget, start));
        }
    }

    private int train(SparkSession spark, GloveConfig glove, String input, String target, String binaryTarget,
                      String reportTarget, long start) throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<String> vocab = GloveOutput.readVocab(input + "/vocab.txt", hadoop);
        long modelBytes = GloveModel.bytesNeeded(vocab.size(), glove.dim());
        long heap = Runtime.getRuntime().maxMemory();
        if (3 * modelBytes > heap) {
            LOG.warn("the model takes {} MB (V={} x (2d+2) x 16 bytes) and the driver needs about three times that "
                    + "during an iteration, but its heap is {} MB", modelBytes >> 20, vocab.size(), heap >> 20);
        }
        JavaRDD<GloveEntry> entries = GloveTrainer.readCooccurrences(spark, input + "/cooccurrence.parquet");
        System.err.printf(Locale.ROOT, "glove: vocab size %,d, vector size %d, x_max %s, alpha %s, eta %s, seed %d%n",
                vocab.size(), glove.dim(), GloveOutput.formatLf(glove.xMax()), GloveOutput.formatLf(glove.alpha()),
                GloveOutput.formatLf(glove.eta()), glove.seed());
        GloveTrainer.Result result = new GloveTrainer(glove).train(entries, vocab.size(),
                (iteration, cost, skipped) -> {
                    // glove.c: fprintf(stderr, "iter: %03d, cost: %lf\n", b+1, total_cost/num_lines)
                    System.err.printf(Locale.ROOT, "iter: %03d, cost: %s%n", iteration, GloveOutput.formatLf(cost));
                    if (skipped > 0) {
                        System.err.printf(Locale.ROOT, "  (%,d entries skipped: NaN or infinite difference)%n",
                                skipped);
                    }
                });
        GloveModel model = result.model();
        GloveOutput.writeText(target, vocab, model, overwrite, hadoop);
        GloveOutput.writeBinary(binaryTarget, model, overwrite, hadoop);
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> report = result.report(glove, target, binaryTarget, input, vocab.size(), seconds);
        Reports.write(reportTarget, report, overwrite, hadoop);
        System.err.printf(Locale.ROOT,
                "glove: %,d vectors of %d dimensions from %,d co-occurrences, %d iterations on %d partitions, "
                        + "final cost %s, in %.1f s -> %s (+ .bin)%n",
                vocab.size(), glove.dim(), result.entries(), glove.iterations(), result.partitions(),
                GloveOutput.formatLf(result.finalCost()), seconds, target);
        return 0;
    }
}
