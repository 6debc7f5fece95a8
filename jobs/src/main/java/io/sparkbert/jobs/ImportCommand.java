package io.sparkbert.jobs;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.model.checkpoint.HuggingFaceCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A HuggingFace BERT directory as our checkpoint. */
@Command(name = "import", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Read a HuggingFace BERT directory (config.json, vocab.txt, model.safetensors; "
                + "tokenizer_config.json optional) into a checkpoint like the one init writes (docs/design.md §7).",
            "F32 weights are read as they are, F16/BF16 widened to float. The embeddings and encoder must be complete; "
                + "a pooler or pretraining heads missing from the file (e.g. a plain BertModel) keep init's fresh "
                + "initialisation and are listed."})
final class ImportCommand implements Callable<Integer> {
    @Option(names = "--hf", required = true, paramLabel = "HF_DIR", description = "The HuggingFace directory.")
    Path hf;

    @Option(names = "--output", required = true, paramLabel = "CKPT", description = "The checkpoint directory.")
    Path output;

    @Option(names = "--max-seq-length", paramLabel = "N", description = "Tokens per sample the model takes.")
    int maxSeqLength;

    @Option(names = "--max-predictions", paramLabel = "N", description = "Masked positions per sample.")
    int maxPredictions;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initialisation of missing heads.")
    long seed;

    @Option(names = "--overwrite", negatable = true, description = "Replace an existing checkpoint.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        InitCommand.requireGeometry(maxSeqLength, maxPredictions);
        if (Files.exists(output) && !overwrite) {
            throw new IllegalArgumentException(output + " already exists; pass --overwrite to replace it");
        }
        long start = System.nanoTime();
        HuggingFaceCheckpoint.Imported imported = HuggingFaceCheckpoint.read(hf, maxSeqLength, maxPredictions, seed);
        Checkpoint.write(output, imported.graph(), imported.vocab(), imported.uncased(), overwrite);
        BertConfig c = imported.config();
        if (!imported.freshlyInitialised().isEmpty()) {
            System.err.println("import: not in the file, freshly initialised: " + imported.freshlyInitialised());
        }
        if (!imported.ignored().isEmpty()) {
            System.err.println("import: ignored buffers: " + imported.ignored());
        }
        System.err.printf(Locale.ROOT, "import: %s -> %s (L%d H%d A%d, vocab %,d, %s, %,d parameters) in %.1f s%n", hf,
                output, c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), c.vocabSize(),
                imported.uncased() ? "uncased" : "cased", imported.graph().numParams(),
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
