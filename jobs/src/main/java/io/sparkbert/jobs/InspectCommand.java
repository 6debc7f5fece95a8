package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkbert.pipeline.preprocess.SampleDataset;
import io.sparkbert.pipeline.preprocess.SampleReader;
import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Prints samples of a preprocessed dataset decoded back to wordpieces, and its report. */
@Command(name = "inspect", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Show the first samples of a preprocessed dataset as wordpieces ([CLS] the [MASK] of … [SEP]), "
                + "with the masked positions, their original tokens and the NSP label, then the report. No Spark.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "A dataset written by preprocess.")
    String dir;

    @Option(names = "--n", paramLabel = "N", description = "How many samples to show.")
    int n = 5;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        Configuration hadoop = new Configuration();
        SampleDataset dataset = new SampleDataset(VocabCommand.qualify(dir), hadoop);
        if (!dataset.isFinished()) {
            throw new SparkBert.UserError(dir + " is not a finished dataset (no " + SampleDataset.MANIFEST + ")");
        }
        JsonNode manifest = dataset.manifest();
        Path root = dataset.path();
        FileSystem fs = root.getFileSystem(hadoop);
        Vocab vocab;
        try (InputStream in = fs.open(new Path(root, SampleDataset.VOCAB))) {
            vocab = Vocab.read(in, SampleDataset.VOCAB);
        }
        List<String> shards = new ArrayList<>();
        manifest.withArray("shards").forEach(s -> shards.add(s.asText()));
        System.out.printf("%s: %s samples in %d shard(s), vocab %s (%d tokens), config %s%n%n", dir,
                manifest.path("totals").path("samples").asText(), shards.size(),
                manifest.path("vocab").path("sha256").asText().substring(0, 12), vocab.size(), manifest.path("config"));
        int shown = 0;
        for (String shard : shards) {
            if (shown >= n) {
                break;
            }
            try (SampleReader reader = new SampleReader(new Path(root, shard).toString(), hadoop)) {
                for (TrainingSample sample : reader.read(n - shown)) {
                    shown++;
                    print(shown, shard, sample, vocab);
                }
            }
        }
        try (InputStream in = fs.open(new Path(root, SampleDataset.REPORT))) {
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            JsonNode report = json.readTree(in);
            System.out.println("report.json:");
            System.out.println(json.writeValueAsString(report.path("input")));
            System.out.println(json.writeValueAsString(report.path("samples")));
        }
        return 0;
    }

    static void print(int number, String shard, TrainingSample sample, Vocab vocab) {
        int predictions = 0;
        for (float w : sample.maskedLmWeights()) {
            predictions += w > 0 ? 1 : 0;
        }
        System.out.printf("sample %d (%s): %s, %d tokens, %d predictions%n", number, shard,
                sample.nextSentenceLabel() == TrainingSample.IS_NEXT ? "IsNext" : "NotNext", sample.length(),
                predictions);
        StringBuilder text = new StringBuilder("  ");
        for (int i = 0; i < sample.length(); i++) {
            text.append(i == 0 ? "" : " ").append(vocab.token(sample.inputIds()[i]));
        }
        System.out.println(text);
        StringBuilder masked = new StringBuilder("  predict:");
        for (int p = 0; p < predictions; p++) {
            int position = sample.maskedLmPositions()[p];
            masked.append(' ').append(position).append(':').append(vocab.token(sample.inputIds()[position]))
                    .append("->").append(vocab.token(sample.maskedLmIds()[p]));
        }
        System.out.println(masked);
        System.out.println();
    }
}
