package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** init and fill-mask as a user runs them. */
class InitCommandTest {
    @TempDir
    Path dir;

    @Test
    void initWritesALoadableCheckpointThatFillMaskUses() throws Exception {
        Path vocab = dir.resolve("vocab.txt");
        List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (String w : "the lord of hosts in beginning god created heaven and earth".split(" ")) {
            tokens.add(w);
        }
        Files.write(vocab, tokens);
        Path ckpt = dir.resolve("tiny");
        Cli.Result init = Cli.run("init", "--preset", "tiny", "--vocab", vocab.toString(), "--output", ckpt.toString(),
                "--max-seq-length", "32", "--max-predictions", "4");
        assertEquals(0, init.exitCode(), init.err());
        JsonNode config = new ObjectMapper().readTree(ckpt.resolve("config.json").toFile());
        assertEquals(128, config.get("hidden_size").asInt()); // conf/model/tiny.conf: L2 H128 A2
        assertEquals(2, config.get("num_hidden_layers").asInt());
        assertEquals(tokens.size(), config.get("vocab_size").asInt());
        assertEquals(32, config.get("max_seq_length").asInt());
        assertEquals(tokens, Files.readAllLines(ckpt.resolve("vocab.txt")));

        Cli.Result filled = Cli.run("fill-mask", "--checkpoint", ckpt.toString(), "in the [MASK] god created [MASK]",
                "--top-k", "3");
        assertEquals(0, filled.exitCode(), filled.err());
        assertTrue(filled.out().contains("[MASK] 1:") && filled.out().contains("[MASK] 2:"), filled.out());

        Cli.Result again = Cli.run("init", "--preset", "tiny", "--vocab", vocab.toString(), "--output", ckpt.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.err().contains("already exists"), again.err());
        Cli.Result unknown = Cli.run("init", "--preset", "huge", "--vocab", vocab.toString(), "--output",
                dir.resolve("x").toString());
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown BERT preset 'huge'"), unknown.err());
    }
}
