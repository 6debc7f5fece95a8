package io.sparkbert.jobs;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A fresh, randomly initialised BERT checkpoint. */
@Command(name = "init", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Create a fresh BERT checkpoint (docs/design.md §5): truncated-normal(0.02) weights, zero "
                + "biases, unit LayerNorm gains.",
            "Writes CKPT/model.zip (DL4J), CKPT/config.json and CKPT/vocab.txt. Presets: conf/model/*.conf."})
final class InitCommand implements Callable<Integer> {
    @Option(names = "--preset", paramLabel = "NAME", description = "tiny, mini, small, medium, base or large.")
    String preset;

    @Option(names = "--vocab", required = true, paramLabel = "FILE", description = "BERT vocab.txt.")
    Path vocab;

    @Option(names = "--output", required = true, paramLabel = "CKPT", description = "The checkpoint directory.")
    Path output;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initialisation.")
    long seed;

    @Option(names = "--max-seq-length", paramLabel = "N", description = "Tokens per sample the model takes.")
    int maxSeqLength;

    @Option(names = "--max-predictions", paramLabel = "N", description = "Masked positions per sample.")
    int maxPredictions;

    @Option(names = "--cased", negatable = true, description = "The vocabulary is cased.")
    boolean cased;

    @Option(names = "--overwrite", negatable = true, description = "Replace an existing checkpoint.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        InitCommand.requireGeometry(maxSeqLength, maxPredictions);
        Vocab vocabulary = Vocab.load(vocab);
        BertConfig bert = BertConfig.preset(preset, vocabulary.size());
        ComputationGraph graph = BertModel.build(bert, maxSeqLength, maxPredictions, seed);
        Checkpoint.write(output, graph, vocabulary, !cased, overwrite);
        System.err.printf(java.util.Locale.ROOT, "init: %s, %,d parameters (L%d H%d A%d, vocab %,d) -> %s%n", preset,
                graph.numParams(), bert.numHiddenLayers(), bert.hiddenSize(), bert.numAttentionHeads(),
                vocabulary.size(), output);
        return 0;
    }

    /**
     * The sample geometry a checkpoint is built for: preprocess makes samples of at least 5 tokens ([CLS] A [SEP] B
     * [SEP]), and at least one position is predicted.
     */
    static void requireGeometry(int maxSeqLength, int maxPredictions) {
        if (maxSeqLength < 5) {
            throw new SparkBert.UserError("--max-seq-length must be at least 5 ([CLS] A [SEP] B [SEP]): "
                    + maxSeqLength);
        }
        if (maxPredictions < 1 || maxPredictions > maxSeqLength) {
            throw new SparkBert.UserError("--max-predictions must be in [1, --max-seq-length]: " + maxPredictions);
        }
    }
}
