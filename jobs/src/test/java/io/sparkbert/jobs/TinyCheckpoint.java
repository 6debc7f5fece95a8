package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A freshly initialised tiny checkpoint made with the real {@code init} command: 13 wordpieces (the five special
 * tokens and "in the beginning god created heaven and earth"), 16 tokens per sample, 3 masked positions.
 */
final class TinyCheckpoint {
    static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
            "in", "the", "beginning", "god", "created", "heaven", "and", "earth");

    private TinyCheckpoint() {
    }

    /** Writes dir/vocab.txt and initialises dir/ckpt (with any further init options); returns the checkpoint. */
    static Path init(Path dir, String... initOptions) throws IOException {
        Path vocab = dir.resolve("vocab.txt");
        Files.write(vocab, VOCAB);
        Path ckpt = dir.resolve("ckpt");
        List<String> args = new ArrayList<>(List.of("init", "--preset", "tiny", "--vocab", vocab.toString(),
                "--output", ckpt.toString(), "--max-seq-length", "16", "--max-predictions", "3"));
        args.addAll(List.of(initOptions));
        Cli.Result init = Cli.run(args.toArray(String[]::new));
        assertEquals(0, init.exitCode(), init.err());
        return ckpt;
    }
}
