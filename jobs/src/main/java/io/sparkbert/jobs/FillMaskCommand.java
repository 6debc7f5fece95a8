package io.sparkbert.jobs;

import io.sparkbert.model.MaskFiller;
import io.sparkbert.model.checkpoint.Checkpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The most probable wordpieces for each [MASK] of a text. */
@Command(name = "fill-mask", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Print the top-k wordpieces, with probabilities, for each [MASK] in the text.")
final class FillMaskCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "CKPT", description = "A checkpoint directory.")
    Path checkpoint;

    @Parameters(paramLabel = "TEXT", description = "Text with one or more [MASK].")
    String text;

    @Option(names = "--top-k", paramLabel = "K", description = "Candidates per mask.")
    int topK;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        SparkBert.UserError.requireAtLeast("--top-k", topK, 1, "");
        MaskFiller filler = new MaskFiller(Checkpoint.read(checkpoint));
        List<List<MaskFiller.Candidate>> masks = filler.fill(text, topK);
        System.out.println(text);
        for (int m = 0; m < masks.size(); m++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  [MASK] %d:", m + 1));
            for (MaskFiller.Candidate c : masks.get(m)) {
                line.append(String.format(Locale.ROOT, "  %s %.4f", c.token(), c.probability()));
            }
            System.out.println(line);
        }
        return 0;
    }
}
