package io.sparkbert.jobs;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.model.checkpoint.HuggingFaceCheckpoint;
import io.sparkbert.model.checkpoint.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A checkpoint in HuggingFace transformers' layout. */
@Command(name = "export", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Write a checkpoint as a HuggingFace directory (docs/design.md §7) that "
                + "transformers.BertForPreTraining.from_pretrained(HF_DIR) loads with no missing or unexpected weights:",
            "config.json, vocab.txt, tokenizer_config.json, special_tokens_map.json and model.safetensors (HF's tensor "
                + "names, Linear weights as [out, in])."})
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "CKPT", description = "A checkpoint directory.")
    Path checkpoint;

    @Option(names = "--output", required = true, paramLabel = "HF_DIR", description = "The directory to write.")
    Path output;

    @Option(names = "--dtype", paramLabel = "TYPE", description = "float32 (exact), float16 or bfloat16 (rounded).")
    String dtype;

    @Option(names = "--overwrite", negatable = true, description = "Replace an existing output directory.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        SafeTensors.DType type = HuggingFaceCheckpoint.dtype(dtype);
        if (Files.exists(output) && !overwrite) {
            throw new IllegalArgumentException(output + " already exists; pass --overwrite to replace it");
        }
        long start = System.nanoTime();
        Checkpoint.Loaded loaded = Checkpoint.read(checkpoint);
        HuggingFaceCheckpoint.write(output, loaded.graph(), loaded.vocab(), loaded.uncased(), type, overwrite);
        BertConfig c = loaded.config();
        System.err.printf(Locale.ROOT, "export: %s -> %s (L%d H%d A%d, vocab %,d, %s, model.safetensors %,d bytes) "
                        + "in %.1f s%n", checkpoint, output, c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(),
                c.vocabSize(), dtype, Files.size(output.resolve(HuggingFaceCheckpoint.WEIGHTS)),
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
