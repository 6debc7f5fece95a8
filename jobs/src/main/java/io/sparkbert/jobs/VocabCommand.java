package io.sparkbert.jobs;

import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.AtomicOutput;
import io.sparkbert.pipeline.util.OutputLock;
import io.sparkbert.pipeline.vocab.CorpusWordCounts;
import io.sparkbert.pipeline.vocab.VocabRun;
import io.sparkbert.pipeline.vocab.WordPieceTrainer;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Learns a BERT vocab.txt from a corpus: word counts on Spark, subword merges on the driver. */
@Command(name = "vocab", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Learn a WordPiece vocabulary (BERT vocab.txt) from a corpus.",
            "Words are counted on the cluster; the subword vocabulary is learned on the driver. The output "
                + "starts with [PAD] [UNK] [CLS] [SEP] [MASK] and contains every character seen at least "
                + "--min-count times. A report (vocab.report.json) is written next to it."})
final class VocabCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(VocabCommand.class);

    @Option(names = "--input", required = true, paramLabel = "PATH[,PATH...]",
            description = "Corpus files, directories or globs on any Hadoop filesystem.")
    String input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "The vocab.txt to write.")
    String output;

    @Option(names = "--size", paramLabel = "N", description = "Target vocabulary size.")
    int size;

    @Option(names = "--min-count", paramLabel = "K", description = "Occurrences a character needs to be kept.")
    long minCount;

    @Option(names = "--cased", negatable = true, description = "Keep case and accents.")
    boolean cased;

    @Option(names = "--partitions", paramLabel = "N", description = "Minimum input partitions.")
    int partitions;

    @Option(names = "--overwrite", description = "Replace an existing output.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Mixin
    SparkSessions sparkOptions;

    @Override
    public Integer call() throws Exception {
        SparkBert.UserError.requireAtLeast("--partitions", partitions, 0, "");
        Settings settings = config.settings();
        WordPieceTrainer trainer = new WordPieceTrainer(size, minCount); // validates size and min-count
        String target = qualify(output);
        String reportTarget = Reports.reportPathFor(target);
        try (OutputLock lock = OutputLocks.acquire(target)) {
            Configuration localHadoop = new Configuration();
            AtomicOutput.checkWritable(target, overwrite, localHadoop);
            AtomicOutput.checkWritable(reportTarget, overwrite, localHadoop);
            long start = System.nanoTime();
            return sparkOptions.run("vocab", settings, false, spark -> learn(spark, trainer, target, reportTarget, start));
        }
    }

    private int learn(SparkSession spark, WordPieceTrainer trainer, String target, String reportTarget, long start)
            throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<String> paths = CorpusPaths.split(input);
        try (CorpusWordCounts counts = CorpusWordCounts.count(SparkSessions.context(spark), paths, !cased,
                partitions, List.of(target, reportTarget))) {
            counts.listing().notes().forEach(note -> System.err.println("vocab: " + note));
            if (!counts.notTextFilesSkipped().isEmpty()) {
                System.err.println("vocab: skipped " + counts.notTextFilesSkipped().size() + " file(s) that are not "
                        + "text: " + String.join(", ", counts.notTextFilesSkipped()));
            }
            CorpusWordCounts.Stats stats = counts.stats();
            LOG.info("Counted {} words ({} distinct) in {} lines of {} files", stats.words(), stats.distinctWords(),
                    stats.lines(), stats.files());
            Map<String, Long> frequent = counts.wordsSeenAtLeast(minCount);
            WordPieceTrainer.Result result = trainer.train(frequent, counts.characterCounts());
            Vocab vocab = Vocab.of(result.tokens());
            AtomicOutput.write(target, overwrite, hadoop, out -> {
                Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
                vocab.write(writer);
                writer.flush();
            });
            VocabRun run = new VocabRun(target, paths, vocab, size, minCount, cased, stats, counts.listing(),
                    counts.notTextFilesSkipped(), frequent.size(), result, counts.coverage(vocab),
                    (System.nanoTime() - start) / 1e9);
            Reports.write(reportTarget, run.report(), overwrite, hadoop);
            System.err.println(run.summary());
            return 0;
        }
    }

    /** A path without a scheme is a local path, resolved against the working directory. */
    static String qualify(String path) {
        return path.contains("://") ? path : Path.of(path).toAbsolutePath().toUri().toString();
    }
}
